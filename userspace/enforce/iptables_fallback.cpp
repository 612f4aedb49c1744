// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/iptables_fallback.h"

#include "base/subprocess.h"
#include "userspace/enforce/ipset_mirror.h"

namespace mcf2b {
namespace {

// multiport takes at most 15 ports per rule.
constexpr size_t kPortsPerRule = 15;

const char *restore_tool(int family) { return family == 4 ? "iptables-restore" : "ip6tables-restore"; }
const char *tool(int family) { return family == 4 ? "iptables" : "ip6tables"; }

} // namespace

std::string IptablesFallback::rules(std::span<const Jail> jails, int family) {
  std::string chain = kChain;
  std::string out = "*raw\n:" + chain + " - [0:0]\n-F " + chain + "\n";
  for (const auto &j : jails) {
    std::string set = family == 4 ? IpsetMirror::v4_set(j.name) : IpsetMirror::v6_set(j.name);
    std::string match = " -m set --match-set " + set + " src";
    if (j.ports.all) {
      out += "-A " + chain + match + " -j DROP\n";
      continue;
    }
    // A later fragment shows no port: drop it when its source is banned at all.
    if (family == 4)
      out += "-A " + chain + " -f" + match + " -j DROP\n";
    else
      out += "-A " + chain + " -m frag --fragid 0:4294967295" + match + " -j DROP\n";
    for (size_t i = 0; i < j.ports.ports.size(); i += kPortsPerRule) {
      std::string list;
      for (size_t k = i; k < std::min(i + kPortsPerRule, j.ports.ports.size()); ++k)
        list += (list.empty() ? "" : ",") + std::to_string(j.ports.ports[k]);
      for (const char *proto : {"tcp", "udp", "sctp"})
        out += "-A " + chain + " -p " + std::string(proto) + match + " -m multiport --dports " +
               list + " -j DROP\n";
    }
  }
  out += "COMMIT\n";
  return out;
}

Status IptablesFallback::install(std::span<const Jail> jails) const {
  for (int family : {4, 6}) {
    auto r = run_program_checked({restore_tool(family), "--noflush"}, rules(jails, family));
    if (!r)
      return r.error().context(std::string(restore_tool(family)) + " " + kChain);
    auto check = run_program({tool(family), "-t", "raw", "-C", "PREROUTING", "-j", kChain});
    if (!check)
      return check.error();
    if (check->exit_code != 0) {
      auto add = run_program_checked({tool(family), "-t", "raw", "-I", "PREROUTING", "-j", kChain});
      if (!add)
        return add.error().context("hook " + std::string(kChain) + " into raw PREROUTING");
    }
  }
  return {};
}

Status IptablesFallback::remove() const {
  for (int family : {4, 6}) {
    for (;;) { // every jump into the chain, should there be several
      auto del = run_program({tool(family), "-t", "raw", "-D", "PREROUTING", "-j", kChain});
      if (!del)
        return del.error();
      if (del->exit_code != 0)
        break;
    }
    for (const char *op : {"-F", "-X"}) {
      auto r = run_program({tool(family), "-t", "raw", op, kChain});
      if (!r)
        return r.error();
      if (r->exit_code != 0 && r->err.find("No chain") == std::string::npos &&
          r->err.find("does not exist") == std::string::npos)
        return Error::msg(std::string(tool(family)) + " " + op + " " + kChain + ": " + r->err);
    }
  }
  return {};
}

} // namespace mcf2b
