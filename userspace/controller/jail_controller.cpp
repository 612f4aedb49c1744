// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/controller/jail_controller.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include "userspace/controller/prefix_rules.h"
#include "userspace/model/jail_name.h"

namespace mcf2b {
using namespace prefix_rules;
namespace {

// Whether a jail's whitelist keeps a failure out of its count.
bool whitelist_covers(const PrefixSet &whitelist, const IpAddress &address) {
  return whitelist.contains(address);
}
bool whitelist_covers(const PrefixSet &whitelist, const IpPrefix &prefix) {
  return whitelist.overlaps(prefix);
}

// A failure's target as the prefix it is (an address is its host prefix).
IpPrefix as_prefix(const IpAddress &address) {
  return IpPrefix::host(address);
}
const IpPrefix &as_prefix(const IpPrefix &prefix) {
  return prefix;
}

} // namespace

JailController::JailController(const Clock &clock, JailControllerOptions options)
    : clock_(clock), options_(std::move(options)), windows_(options_.max_tracked) {
  node_host_ = table_.intern_host(options_.node);
}

// ---- configuration -------------------------------------------------------------------

ControllerStatus JailController::validate(const JailConfig &c) {
  if (auto st = check_jail_config(c); !st)
    return ControllerError(ControllerError::Category::invalid, st.error());
  return {};
}

void JailController::sync_family(JailFamilyId family) {
  catalog_.refresh(family);
  const auto &f = catalog_.family(family);
  windows_.configure_family(family, f.capacity, f.horizon);
  runtime_.resize(catalog_.size());
}

unsigned JailController::tier_mask(JailFamilyId family) const {
  unsigned mask = 0;
  const auto &f = catalog_.family(family);
  for (int s = 0; s < JailCatalog::kTiers; ++s)
    if (f.counting[size_t(s)] && catalog_.config(*f.counting[size_t(s)]).enabled)
      mask |= 1u << s;
  return mask;
}

void JailController::emit_jail(JailId jail, Decisions &out) const {
  out.jails.push_back(catalog_.config(jail));
}

Decisions JailController::configure(const std::vector<JailConfig> &jails,
                                    std::vector<Error> *rejected) {
  Decisions out;
  for (const auto &config : jails) {
    if (ControllerStatus s = validate(config); !s) {
      if (rejected)
        rejected->push_back(s.error());
      continue;
    }
    catalog_.upsert(config);
  }
  for (JailId id : catalog_.add_missing_blacklist_jails())
    emit_jail(id, out);
  for (JailFamilyId f = 0; f < catalog_.family_count(); ++f)
    sync_family(f);
  return out;
}

ControllerResult<Decisions> JailController::update_jail(const JailConfig &config) {
  if (ControllerStatus s = validate(config); !s)
    return s.error();
  Decisions out;
  JailConfig taken = config;
  auto existing = catalog_.find(config.name);
  if (existing)
    taken.enabled = catalog_.config(*existing).enabled; // a change of state goes below
  JailId id = catalog_.upsert(taken);
  sync_family(catalog_.family_of(id));
  for (JailId created : catalog_.add_missing_blacklist_jails()) {
    sync_family(catalog_.family_of(created));
    emit_jail(created, out);
  }
  if (existing && config.enabled != taken.enabled)
    set_enabled({id}, config.enabled, out); // emits the jail
  else
    emit_jail(id, out);
  return out;
}

void JailController::set_enabled(const std::vector<JailId> &jails, bool enabled, Decisions &out) {
  std::vector<bool> disabled(catalog_.size(), false);
  bool any_disabled = false;
  for (JailId id : jails) {
    JailConfig &c = catalog_.mutable_config(id);
    if (c.enabled == enabled)
      continue;
    c.enabled = enabled;
    JailFamilyId family = catalog_.family_of(id);
    if (!enabled) {
      disabled[id] = any_disabled = true;
      int tier = catalog_.tier_of(id);
      if (tier != JailCatalog::kNoTier)
        windows_.reset_tier_everywhere(family, tier);
    }
    sync_family(family);
    emit_jail(id, out);
  }
  if (!any_disabled)
    return;
  // Stopping a jail lifts its bans, and its counts start again (MailCleaner deletes
  // the jail's rows); whitelist entries are an admin's decision and stay.
  table_.for_each([&](const BanTable::Key &key, BanTable::Row &row) {
    if (!disabled[key.jail])
      return;
    bool changed = row.count != 0 || row.blacklisted;
    row.count = 0;
    row.blacklisted = false;
    if (row.active)
      lift(key, row, UnbanReason::jail_disabled, out);
    else if (changed)
      emit_record(key, row, out);
  });
}

ControllerResult<Decisions> JailController::enable_jail(std::string_view name) {
  auto ids = catalog_.resolve(name, JailCatalog::Scope::tiers);
  if (!ids)
    return ids.error();
  Decisions out;
  set_enabled(*ids, true, out);
  return out;
}

ControllerResult<Decisions> JailController::disable_jail(std::string_view name) {
  auto ids = catalog_.resolve(name, JailCatalog::Scope::tiers);
  if (!ids)
    return ids.error();
  Decisions out;
  set_enabled(*ids, false, out);
  return out;
}

Decisions JailController::enable_all() {
  std::vector<JailId> all(catalog_.size());
  for (size_t i = 0; i < all.size(); ++i)
    all[i] = static_cast<JailId>(i);
  Decisions out;
  set_enabled(all, true, out);
  return out;
}

Decisions JailController::disable_all() {
  std::vector<JailId> all(catalog_.size());
  for (size_t i = 0; i < all.size(); ++i)
    all[i] = static_cast<JailId>(i);
  Decisions out;
  set_enabled(all, false, out);
  return out;
}

ControllerResult<Decisions> JailController::change_jail(std::string_view name,
                                                        std::string_view option, int64_t value) {
  auto id = catalog_.find(name);
  if (!id) {
    if (auto family = catalog_.find_family(name)) {
      std::string tiers;
      for (const auto &j : catalog_.family(*family).counting)
        if (j)
          tiers += (tiers.empty() ? "" : ", ") + catalog_.config(*j).name;
      return ControllerError::invalid("'" + std::string(name) +
                                      "' is a family; change one of its jails at a time (" + tiers +
                                      ")");
    }
    return catalog_.unknown("jail", name);
  }
  JailConfig changed = catalog_.config(*id);
  if (option == "findtime")
    changed.findtime = value;
  else if (option == "bantime")
    changed.bantime = value;
  else if (option == "maxretry" && (value < 1 || value > 65535))
    return ControllerError::invalid("jail '" + changed.name +
                                    "': maxretry must be between 1 and 65535, not " +
                                    std::to_string(value));
  else if (option == "maxretry")
    changed.maxretry = static_cast<int>(value);
  else if (option == "max_count" && value > INT32_MAX)
    return ControllerError::invalid("jail '" + changed.name + "': max_count must be at most " +
                                    std::to_string(INT32_MAX) + ", not " + std::to_string(value));
  else if (option == "max_count")
    changed.max_count = value > 0 ? static_cast<int>(value) : -1;
  else
    return ControllerError::invalid("unknown jail option '" + std::string(option) +
                                    "' (findtime, bantime, maxretry, max_count)");
  if (ControllerStatus s = validate(changed); !s)
    return s.error();
  // Bans already decided keep their end; the new values apply from the next failure.
  catalog_.mutable_config(*id) = changed;
  sync_family(catalog_.family_of(*id));
  Decisions out;
  emit_jail(*id, out);
  return out;
}

ControllerResult<Decisions> JailController::enable_blacklist(int max_count) {
  if (max_count < 1)
    return ControllerError::invalid(
        "the number of bans before blacklisting must be at least 1, not " +
        std::to_string(max_count));
  Decisions out;
  for (JailId id = 0; id < catalog_.size(); ++id) {
    JailConfig &c = catalog_.mutable_config(id);
    if (catalog_.is_blacklist_jail(id)) {
      if (!c.enabled) {
        c.enabled = true;
        emit_jail(id, out);
      }
    } else if (c.max_count != max_count) {
      c.max_count = max_count;
      emit_jail(id, out);
    }
  }
  return out;
}

void JailController::disable_blacklisting(const std::vector<JailId> &jails, Decisions &out) {
  std::vector<bool> stopped(catalog_.size(), false);
  std::vector<bool> families(catalog_.family_count(), false);
  for (JailId id : jails) {
    JailConfig &c = catalog_.mutable_config(id);
    if (catalog_.is_blacklist_jail(id))
      continue;
    families[catalog_.family_of(id)] = true;
    stopped[id] = true;
    if (c.max_count != -1) {
      c.max_count = -1;
      emit_jail(id, out);
    }
  }
  // A family's -bl jail stops once none of its jails blacklists any more.
  for (JailFamilyId f = 0; f < catalog_.family_count(); ++f) {
    if (!families[f])
      continue;
    const auto &family = catalog_.family(f);
    bool still_used = false;
    for (const auto &j : family.counting)
      still_used |= j && catalog_.config(*j).blacklisting();
    if (still_used || !family.blacklist)
      continue;
    stopped[*family.blacklist] = true;
    JailConfig &bl = catalog_.mutable_config(*family.blacklist);
    if (bl.enabled) {
      bl.enabled = false;
      emit_jail(*family.blacklist, out);
    }
  }
  table_.for_each([&](const BanTable::Key &key, BanTable::Row &row) {
    if (!stopped[key.jail])
      return;
    bool in_bl = catalog_.is_blacklist_jail(key.jail);
    if (!row.blacklisted && !(in_bl && row.active))
      return;
    row.blacklisted = false;
    row.count = 0;
    if (in_bl && row.active)
      lift(key, row, UnbanReason::blacklist_disabled, out);
    else
      emit_record(key, row, out);
  });
}

Decisions JailController::disable_blacklist() {
  std::vector<JailId> all(catalog_.size());
  for (size_t i = 0; i < all.size(); ++i)
    all[i] = static_cast<JailId>(i);
  Decisions out;
  disable_blacklisting(all, out);
  return out;
}

ControllerResult<Decisions> JailController::disable_blacklist(std::string_view name) {
  auto ids = catalog_.resolve(name, JailCatalog::Scope::tiers_and_blacklist);
  if (!ids)
    return ids.error();
  std::vector<JailId> jails = *ids;
  // Naming the -bl jail itself stops blacklisting for its whole family.
  for (JailId id : *ids)
    if (catalog_.is_blacklist_jail(id))
      for (const auto &j : catalog_.family(catalog_.family_of(id)).counting)
        if (j)
          jails.push_back(*j);
  Decisions out;
  disable_blacklisting(jails, out);
  return out;
}

void JailController::set_own_addresses(const std::vector<IpAddress> &addresses) {
  own_.clear();
  for (const auto &a : addresses)
    own_.add(IpPrefix::host(a));
}

void JailController::set_cluster_nodes(const std::vector<IpAddress> &addresses) {
  cluster_.clear();
  for (const auto &a : addresses)
    cluster_.add(IpPrefix::host(a));
}

void JailController::set_ignore_list(const std::vector<IpPrefix> &prefixes) {
  ignore_.clear();
  for (const auto &p : prefixes)
    ignore_.add(p);
}

bool JailController::never_banned(const IpAddress &address) const {
  return address.is_loopback() || own_.contains(address) || cluster_.contains(address) ||
         ignore_.contains(address);
}

bool JailController::never_banned(const IpPrefix &prefix) const {
  return overlap(prefix, loopback_v4()) || overlap(prefix, loopback_v6()) ||
         own_.overlaps(prefix) || cluster_.overlaps(prefix) || ignore_.overlaps(prefix);
}

// ---- bans ----------------------------------------------------------------------------

BanRecord JailController::to_record(const BanTable::Key &key, const BanTable::Row &row) const {
  BanRecord r;
  r.ip = key.prefix;
  r.jail = catalog_.config(key.jail).name;
  r.count = row.count;
  r.active = row.active;
  r.blacklisted = row.blacklisted;
  r.whitelisted = row.whitelisted;
  r.last_hit = row.last_hit;
  r.host = table_.host(row.host);
  r.ban_start = row.ban_start;
  r.ban_end = row.ban_end;
  return r;
}

void JailController::emit_record(const BanTable::Key &key, const BanTable::Row &row,
                                 Decisions &out) const {
  out.records.push_back(to_record(key, row));
}

void JailController::lift(const BanTable::Key &key, BanTable::Row &row, UnbanReason reason,
                          Decisions &out) {
  row.active = false;
  auto &active = runtime_[key.jail].stats.active;
  if (active > 0)
    --active;
  out.unbans.push_back(UnbanDecision{catalog_.config(key.jail).name, key.prefix, reason});
  emit_record(key, row, out);
}

bool JailController::apply_ban(JailId jail, const IpPrefix &prefix, Seconds now, Seconds bantime,
                               BanCause cause, Decisions &out) {
  BanTable::Key key{jail, prefix};
  BanTable::Row &row = table_.get(key);
  if (row.active)
    return false;
  const JailConfig &config = catalog_.config(jail);
  row.count = row.count < std::numeric_limits<int32_t>::max() ? row.count + 1 : row.count;
  row.active = true;
  row.ban_start = now;
  row.ban_end = bantime < 0 ? 0 : now + bantime;
  row.last_hit = now;
  row.host = node_host_;
  if (row.ban_end != 0)
    table_.schedule(key, row.ban_end);
  auto &stats = runtime_[jail].stats;
  ++stats.bans;
  ++stats.active;
  bool promote =
      !catalog_.is_blacklist_jail(jail) && config.blacklisting() && row.count > config.max_count;
  if (promote)
    row.blacklisted = true;
  out.bans.push_back(BanDecision{config.name, prefix, row.ban_start, row.ban_end, row.count,
                                 row.blacklisted, cause});
  emit_record(key, row, out);
  if (promote)
    blacklist(catalog_.family_of(jail), prefix, now, out);
  return true;
}

void JailController::blacklist(JailFamilyId family, const IpPrefix &prefix, Seconds now,
                               Decisions &out) {
  auto bl = catalog_.family(family).blacklist;
  if (!bl)
    return; // configure() gives every family with counting jails a -bl jail
  if (runtime_[*bl].whitelist.overlaps(prefix)) {
    ++stats_.whitelisted;
    return;
  }
  JailConfig &config = catalog_.mutable_config(*bl);
  if (!config.enabled) {
    config.enabled = true; // blacklisting is on for this family: its -bl jail runs
    emit_jail(*bl, out);
  }
  BanTable::Row &row = table_.get({*bl, prefix});
  if (row.active) {
    if (!row.blacklisted) {
      row.blacklisted = true;
      emit_record({*bl, prefix}, row, out);
    }
    return;
  }
  row.blacklisted = true;
  apply_ban(*bl, prefix, now, -1, BanCause::blacklist, out);
}

Decisions JailController::failure(JailFamilyId family, const IpAddress &address, Seconds time) {
  Decisions out;
  ++stats_.failures;
  if (family >= catalog_.family_count())
    throw std::out_of_range("JailController::failure: unknown family id");
  if (never_banned(address)) {
    ++stats_.ignored;
    return out;
  }
  count_failure(family, address, time, out);
  return out;
}

Decisions JailController::failure(JailFamilyId family, const IpPrefix &prefix, Seconds time) {
  if (prefix.is_host())
    return failure(family, prefix.address(), time);
  Decisions out;
  ++stats_.failures;
  if (family >= catalog_.family_count())
    throw std::out_of_range("JailController::failure: unknown family id");
  // A range this wide is banned by hand with a confirmation only, never by a log line.
  if (needs_confirmation(prefix)) {
    ++stats_.wide_prefixes;
    return out;
  }
  if (never_banned(prefix)) {
    ++stats_.ignored;
    return out;
  }
  count_failure(family, prefix, time, out);
  return out;
}

std::vector<std::pair<std::string, IpPrefix>> JailController::whitelist_entries() const {
  std::vector<std::pair<std::string, IpPrefix>> out;
  for (const auto &j : jails())
    for (const auto &p : whitelist(j.name))
      out.emplace_back(j.name, p);
  return out;
}

bool JailController::within_horizon(JailFamilyId family, Seconds time) const {
  if (family >= catalog_.family_count())
    return false;
  const Seconds now = clock_.now();
  return std::min(time, now) > now - catalog_.family(family).horizon;
}

bool JailController::needs_confirmation(const IpPrefix &prefix) {
  unsigned widest = prefix.address().is_v4() ? kWidestUnconfirmedV4 : kWidestUnconfirmedV6;
  return prefix.length() < widest;
}

template <class Target>
void JailController::count_failure(JailFamilyId family, const Target &target, Seconds time,
                                   Decisions &out) {
  const auto &f = catalog_.family(family);
  unsigned mask = tier_mask(family);
  // Like fail2ban's ignoreip, a jail's whitelist keeps the address's failures out of
  // that jail's count altogether (a prefix's when it shares any address with it).
  for (int tier = 0; tier < JailCatalog::kTiers; ++tier) {
    if (((mask >> tier) & 1u) == 0)
      continue;
    const PrefixSet &whitelist = runtime_[*f.counting[size_t(tier)]].whitelist;
    if (!whitelist.empty() && whitelist_covers(whitelist, target)) {
      mask &= ~(1u << tier);
      ++stats_.whitelisted;
    }
  }
  if (mask == 0)
    return;
  const Seconds now = clock_.now();
  time = std::min(time, now); // a clock ahead of ours must not stretch the window
  if (time <= now - f.horizon) {
    ++stats_.too_old;
    return;
  }
  if (forgiven_.forgiven(family, as_prefix(target), time)) {
    ++stats_.forgiven;
    return;
  }
  FailureWindows::Ref ref = windows_.record(family, target, time, mask, now);
  for (int tier = 0; tier < JailCatalog::kTiers; ++tier) {
    if (!((mask >> tier) & 1u))
      continue;
    JailId jail = *f.counting[size_t(tier)];
    const JailConfig &config = catalog_.config(jail);
    JailRuntime &rt = runtime_[jail];
    if (time > now - config.findtime)
      ++rt.stats.failures;
    if (!windows_.reached(ref, tier, static_cast<unsigned>(config.maxretry), now - config.findtime))
      continue;
    // Like fail2ban, a jail that reaches its threshold starts counting again, whether
    // it bans or finds the address already banned.
    windows_.reset_tier(ref, tier);
    IpPrefix banned;
    if constexpr (std::is_same_v<Target, IpAddress>)
      banned = IpPrefix::host(target);
    else
      banned = target;
    if (!apply_ban(jail, banned, now, escalated_bantime(jail, banned, config.bantime),
                   BanCause::failures, out))
      ++stats_.already_banned;
  }
}

ControllerResult<JailFamilyId> JailController::family(std::string_view name) const {
  return catalog_.resolve_family(name);
}

ControllerResult<Decisions> JailController::failure(std::string_view family_name,
                                                    const IpAddress &address, Seconds time) {
  auto id = family(family_name);
  if (!id)
    return id.error();
  return failure(*id, address, time);
}

Decisions JailController::tick() {
  const Seconds now = clock_.now();
  Decisions out;
  table_.take_ended(now, [&](const BanTable::Key &key, BanTable::Row &row) {
    lift(key, row, UnbanReason::expired, out);
  });
  windows_.prune(now);
  forgiven_.prune(now, [&](JailFamilyId family) {
    return family < catalog_.family_count() ? catalog_.family(family).horizon : Seconds{0};
  });
  return out;
}

std::optional<Seconds> JailController::next_expiry() const {
  return table_.next_end();
}

std::optional<BanRecord> JailController::record(std::string_view jail,
                                                const IpPrefix &prefix) const {
  auto id = catalog_.find(jail);
  if (!id)
    return std::nullopt;
  BanTable::Key key{*id, prefix};
  const BanTable::Row *row = table_.find(key);
  if (!row)
    return std::nullopt;
  return to_record(key, *row);
}

std::vector<BanRecord> JailController::records() const {
  std::vector<BanRecord> all;
  all.reserve(table_.size());
  table_.for_each([&](const BanTable::Key &key, const BanTable::Row &row) {
    all.push_back(to_record(key, row));
  });
  return all;
}

std::vector<BanRecord> JailController::active_bans(std::string_view jail) const {
  std::vector<BanRecord> bans;
  auto id = catalog_.find(jail);
  if (!id)
    return bans;
  table_.for_each([&](const BanTable::Key &key, const BanTable::Row &row) {
    if (key.jail == *id && row.active)
      bans.push_back(to_record(key, row));
  });
  return bans;
}

std::vector<EnforcedBan> JailController::enforced_bans() const {
  size_t active = 0;
  for (JailId id = 0; id < catalog_.size(); ++id)
    active += runtime_[id].stats.active;
  std::vector<EnforcedBan> out;
  out.reserve(active);
  table_.for_each([&](const BanTable::Key &key, const BanTable::Row &row) {
    if (row.active)
      out.push_back(EnforcedBan{catalog_.config(key.jail).name, key.prefix, row.ban_end});
  });
  return out;
}

bool JailController::is_banned(std::string_view jail, const IpPrefix &prefix) const {
  auto r = record(jail, prefix);
  return r && r->active;
}

const JailConfig *JailController::jail(std::string_view name) const {
  auto id = catalog_.find(name);
  return id ? &catalog_.config(*id) : nullptr;
}

std::vector<JailConfig> JailController::jails() const {
  std::vector<JailConfig> all;
  for (JailId id = 0; id < catalog_.size(); ++id)
    all.push_back(catalog_.config(id));
  return all;
}

std::vector<IpPrefix> JailController::whitelist(std::string_view jail) const {
  auto id = catalog_.find(jail);
  return id ? runtime_[*id].whitelist.entries() : std::vector<IpPrefix>{};
}

ControllerResult<std::vector<std::string>> JailController::resolve(std::string_view name) const {
  auto ids = catalog_.resolve(name, JailCatalog::Scope::tiers);
  if (!ids)
    return ids.error();
  std::vector<std::string> names;
  for (JailId id : *ids)
    names.push_back(catalog_.config(id).name);
  return names;
}

JailControllerStats JailController::stats() const {
  JailControllerStats s = stats_;
  s.evictions = windows_.evictions();
  s.window_expirations = windows_.expirations();
  s.tracked = windows_.tracked();
  return s;
}

ControllerResult<JailStats> JailController::jail_stats(std::string_view name) const {
  auto id = catalog_.find(name);
  if (!id)
    return catalog_.unknown("jail", name);
  return runtime_[*id].stats;
}

} // namespace mcf2b
