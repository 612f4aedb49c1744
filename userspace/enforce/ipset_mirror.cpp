// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/ipset_mirror.h"

#include <algorithm>
#include <bit>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include "base/subprocess.h"
#include "userspace/enforce/ipset_netlink.h"
#include "userspace/model/jail_name.h"

namespace mcf2b {
namespace {

std::string set_for(std::string_view jail, const IpPrefix &p) {
  return p.address().is_v4() ? IpsetMirror::v4_set(jail) : IpsetMirror::v6_set(jail);
}

Status check_prefix(const IpPrefix &p) {
  if (p.length() == 0)
    return Error::msg("ipset hash:net cannot hold the prefix " + p.to_string());
  return {};
}

Status restore(const std::string &script) {
  if (script.empty())
    return {};
  auto r = run_program_checked({"ipset", "-exist", "restore"}, script);
  if (!r)
    return r.error().context("ipset restore");
  return {};
}

} // namespace

struct IpsetMirror::Netlink {
  std::mutex mutex;
  std::optional<IpsetNetlink> socket;
  bool unavailable = false; // said no once: restore streams from then on
};

IpsetMirror::IpsetMirror(uint32_t capacity)
    : capacity_(capacity), netlink_(std::make_shared<Netlink>()) {}
IpsetMirror::~IpsetMirror() = default;

Status IpsetMirror::ensure_jail(std::string_view jail) const {
  std::string name(jail);
  return ensure_jails(std::span<const std::string>(&name, 1));
}

std::string IpsetMirror::create_lines(std::string_view jail) const {
  // Sets start small and grow by rehashing up to maxelem (no silent 65,536 limit): a
  // hashsize sized for the capacity up front costs megabytes of kernel memory per empty
  // set and a tenth of a second per set to create.
  constexpr uint32_t kInitialHashsize = 4096;
  std::string lines;
  for (const auto &[name, family] :
       {std::pair{v4_set(jail), "inet"}, std::pair{v6_set(jail), "inet6"}})
    lines += "create " + name + " hash:net family " + family + " hashsize " +
             std::to_string(std::min(kInitialHashsize, std::bit_ceil(capacity_))) +
             " maxelem " + std::to_string(capacity_) + "\n";
  return lines;
}

Status IpsetMirror::ensure_jails(std::span<const std::string> jails) const {
  std::string script;
  for (const auto &jail : jails) {
    if (auto st = check_jail_name(jail); !st)
      return st.error().context("the jail's ipsets");
    script += create_lines(jail);
  }
  if (auto st = restore(script); !st)
    return st.error().context("create the jails' sets");
  return {};
}

Status IpsetMirror::remove_jail(std::string_view jail) const {
  for (const auto &name : {v4_set(jail), v6_set(jail)}) {
    auto r = run_program({"ipset", "destroy", name});
    if (!r)
      return r.error();
    if (r->exit_code != 0 && r->err.find("does not exist") == std::string::npos)
      return Error::msg("ipset destroy " + name + ": " + r->err);
  }
  return {};
}

Status IpsetMirror::apply(std::span<const BanChange> changes) const {
  for (const auto &c : changes)
    if (auto st = check_prefix(c.prefix); !st)
      return st;
  if (changes.empty())
    return {};
  {
    std::lock_guard lock(netlink_->mutex);
    if (!netlink_->socket && !netlink_->unavailable) {
      auto opened = IpsetNetlink::open();
      netlink_->unavailable = !opened;
      if (opened)
        netlink_->socket.emplace(std::move(*opened));
    }
    // Refused (most often: a set not made yet), the whole batch goes to `ipset restore`
    // below, which makes the sets and takes what is already there (-exist).
    if (netlink_->socket && netlink_->socket->apply(changes, [](const BanChange &c) {
          return set_for(c.jail, c.prefix);
        }))
      return {};
  }
  // The stream starts with the create lines of the sets it changes (a no-op under
  // -exist): `ipset restore` then knows them from its own session, where otherwise it
  // asks the kernel for the set's header at every line (a million adds: 4 s, not 2.4).
  std::string script;
  std::set<std::string_view> jails;
  for (const auto &c : changes)
    if (jails.insert(c.jail).second)
      script += create_lines(c.jail);
  for (const auto &c : changes) {
    script += (c.op == BanChange::Op::ban ? "add " : "del ") + set_for(c.jail, c.prefix) + " " +
              c.prefix.to_string() + "\n";
  }
  return restore(script);
}

namespace {

// Every member of every set, from one `ipset save` (all sets at once).
Result<std::map<std::string, std::vector<IpPrefix>>> save_all() {
  auto r = run_program_checked({"ipset", "save"});
  if (!r)
    return r.error().context("read the ipsets");
  std::map<std::string, std::vector<IpPrefix>> out;
  std::istringstream lines(r->out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string verb, set, member;
    if (!(words >> verb >> set >> member) || verb != "add")
      continue;
    auto p = IpPrefix::parse(member);
    if (!p)
      return p.error().context("ipset " + set + " member '" + member + "'");
    out[set].push_back(*p);
  }
  return out;
}

} // namespace

Result<std::vector<IpPrefix>> IpsetMirror::members(std::string_view jail) const {
  std::vector<IpPrefix> out;
  for (const auto &name : {v4_set(jail), v6_set(jail)}) {
    auto r = run_program_checked({"ipset", "save", name});
    if (!r)
      return r.error().context("read ipset " + name);
    std::istringstream lines(r->out);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream words(line);
      std::string verb, set, member;
      if (!(words >> verb >> set >> member) || verb != "add" || set != name)
        continue;
      auto p = IpPrefix::parse(member);
      if (!p)
        return p.error().context("ipset " + name + " member '" + member + "'");
      out.push_back(*p);
    }
  }
  return out;
}

Status IpsetMirror::reconcile(std::string_view jail, std::span<const IpPrefix> prefixes) const {
  std::map<std::string, std::vector<IpPrefix>> wanted;
  wanted[std::string(jail)].assign(prefixes.begin(), prefixes.end());
  return reconcile_all(wanted);
}

Status IpsetMirror::reconcile_all(const std::map<std::string, std::vector<IpPrefix>> &jails) const {
  std::vector<std::string> names;
  for (const auto &[jail, prefixes] : jails)
    names.push_back(jail);
  if (auto st = ensure_jails(names); !st)
    return st;
  auto current = save_all();
  if (!current)
    return current.error();
  // Sorted lists, not trees: a first start hands over a million prefixes.
  auto sorted = [](std::vector<IpPrefix> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  std::vector<BanChange> changes;
  for (const auto &[jail, prefixes] : jails) {
    std::vector<IpPrefix> want = sorted(prefixes);
    std::vector<IpPrefix> have;
    for (const auto &name : {v4_set(jail), v6_set(jail)})
      if (auto it = current->find(name); it != current->end())
        have.insert(have.end(), it->second.begin(), it->second.end());
    have = sorted(std::move(have));
    std::vector<IpPrefix> gone, added;
    std::set_difference(have.begin(), have.end(), want.begin(), want.end(),
                        std::back_inserter(gone));
    std::set_difference(want.begin(), want.end(), have.begin(), have.end(),
                        std::back_inserter(added));
    changes.reserve(changes.size() + gone.size() + added.size());
    for (const auto &p : gone)
      changes.push_back(BanChange::unban(jail, p));
    for (const auto &p : added)
      changes.push_back(BanChange::ban(jail, p, 0));
  }
  return apply(changes);
}

} // namespace mcf2b
