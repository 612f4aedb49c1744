// SPDX-License-Identifier: GPL-2.0-only
// An admin's commands on addresses: ban, unban, blacklist and whitelist add and remove,
// with the checks every manual ban goes through (never a loopback, own or cluster
// address, nothing whitelisted, ranges wider than /24 or /48 only when confirmed).
#include <algorithm>

#include "userspace/controller/jail_controller.h"
#include "userspace/controller/prefix_rules.h"

namespace mcf2b {
using namespace prefix_rules;

ControllerStatus JailController::check_target(const IpPrefix &prefix,
                                              const BanRequest &request) const {
  const std::string text = prefix.to_string();
  unsigned widest = prefix.address().is_v4() ? kWidestUnconfirmedV4 : kWidestUnconfirmedV6;
  if (needs_confirmation(prefix) && !request.confirm_wide)
    return ControllerError::too_wide("refusing to ban " + text + ": wider than /" +
                                     std::to_string(widest) +
                                     " (confirm to ban a range this wide)");
  if (overlap(prefix, loopback_v4()) || overlap(prefix, loopback_v6()))
    return ControllerError::refused("refusing to ban " + text + ": it covers loopback addresses");
  if (own_.overlaps(prefix))
    return ControllerError::refused("refusing to ban " + text + ": it covers this host's address " +
                                    overlapping_entry(own_, prefix));
  if (cluster_.overlaps(prefix))
    return ControllerError::refused("refusing to ban " + text + ": it covers the cluster node " +
                                    overlapping_entry(cluster_, prefix));
  if (request.bantime &&
      (*request.bantime == 0 || *request.bantime < -1 || *request.bantime > kMaxDuration))
    return ControllerError::invalid("a ban's length must be -1 (permanent) or between 1 and " +
                                    std::to_string(kMaxDuration) + " seconds, not " +
                                    std::to_string(*request.bantime));
  return {};
}

ControllerStatus JailController::check_manual(JailId jail, const IpPrefix &prefix,
                                              const BanRequest &request) const {
  if (ControllerStatus s = check_target(prefix, request); !s)
    return s;
  const JailConfig &config = catalog_.config(jail);
  if (runtime_[jail].whitelist.overlaps(prefix))
    return ControllerError::refused(prefix.to_string() + " is whitelisted in " + config.name +
                                    " (entry " +
                                    overlapping_entry(runtime_[jail].whitelist, prefix) +
                                    "); remove it from the whitelist first");
  return {};
}

ControllerResult<Decisions> JailController::ban(std::string_view name, const IpPrefix &prefix,
                                                BanRequest request) {
  auto ids = catalog_.resolve(name, JailCatalog::Scope::tiers);
  if (!ids)
    return ids.error();
  for (JailId id : *ids) {
    if (ControllerStatus s = check_manual(id, prefix, request); !s)
      return s.error();
    if (!catalog_.config(id).enabled)
      return ControllerError::refused("jail " + catalog_.config(id).name +
                                      " is disabled; enable it first");
  }
  const Seconds now = clock_.now();
  Decisions out;
  // As fail2ban's banip: an explicit length is taken as given, the jail's escalates.
  for (JailId id : *ids)
    apply_ban(id, prefix, now,
              request.bantime ? *request.bantime
                              : escalated_bantime(id, prefix, catalog_.config(id).bantime),
              BanCause::manual, out);
  return out;
}

ControllerResult<Decisions> JailController::unban(std::string_view name, const IpPrefix &prefix) {
  auto ids = catalog_.resolve(name, JailCatalog::Scope::tiers);
  if (!ids)
    return ids.error();
  Decisions out;
  const Seconds now = clock_.now();
  for (JailId id : *ids) {
    BanTable::Key key{id, prefix};
    if (BanTable::Row *row = table_.find(key); row && row->active) {
      lift(key, *row, UnbanReason::manual, out);
      // Let go: what the address failed before now counts no more in its family, even
      // if its lines are read (again) after this.
      const JailFamilyId family = catalog_.family_of(id);
      forgiven_.forgive(family, prefix, now);
      windows_.forget(family, prefix);
    }
  }
  if (out.unbans.empty())
    return ControllerError::not_found(prefix.to_string() + " is not banned in " +
                                      std::string(name));
  return out;
}

ControllerResult<Decisions>
JailController::blacklist_add(std::string_view name, const IpPrefix &prefix, BanRequest request) {
  auto family = catalog_.resolve_family(name);
  if (!family)
    return family.error();
  auto bl = catalog_.family(*family).blacklist;
  if (!bl)
    return ControllerError::not_found("family " + catalog_.family(*family).name +
                                      " has no blacklist jail");
  request.bantime = -1;
  if (ControllerStatus s = check_manual(*bl, prefix, request); !s)
    return s.error();
  Decisions out;
  blacklist(*family, prefix, clock_.now(), out);
  return out;
}

ControllerResult<Decisions> JailController::blacklist_remove(std::string_view name,
                                                             const IpPrefix &prefix) {
  auto family = catalog_.resolve_family(name);
  if (!family)
    return family.error();
  const auto &f = catalog_.family(*family);
  Decisions out;
  bool found = false;
  auto reset = [&](JailId id, bool lift_ban) {
    BanTable::Key key{id, prefix};
    BanTable::Row *row = table_.find(key);
    if (!row || !(row->blacklisted || (lift_ban && row->active)))
      return;
    found = true;
    // MailCleaner gives the address a fresh start: count and flag reset.
    row->blacklisted = false;
    row->count = 0;
    if (lift_ban && row->active)
      lift(key, *row, UnbanReason::blacklist_removed, out);
    else
      emit_record(key, *row, out);
  };
  if (f.blacklist)
    reset(*f.blacklist, true);
  for (const auto &j : f.counting)
    if (j)
      reset(*j, false); // their temporary bans run out as decided
  if (!found)
    return ControllerError::not_found(prefix.to_string() + " is not blacklisted in " + f.name);
  return out;
}

ControllerResult<Decisions>
JailController::whitelist_add(std::string_view name, const IpPrefix &prefix, bool confirm_wide) {
  if (needs_confirmation(prefix) && !confirm_wide)
    return ControllerError::too_wide(
        "refusing to whitelist " + prefix.to_string() + ": wider than /" +
        std::to_string(prefix.address().is_v4() ? kWidestUnconfirmedV4 : kWidestUnconfirmedV6) +
        " (confirm to lift every ban in a range this wide)");
  auto ids = catalog_.resolve(name, JailCatalog::Scope::tiers_and_blacklist);
  if (!ids)
    return ids.error();
  Decisions out;
  std::vector<bool> chosen(catalog_.size(), false);
  for (JailId id : *ids) {
    chosen[id] = true;
    runtime_[id].whitelist.add(prefix);
    BanTable::Key key{id, prefix};
    BanTable::Row &row = table_.get(key);
    row.whitelisted = true;
    if (row.active)
      lift(key, row, UnbanReason::whitelisted, out);
    else
      emit_record(key, row, out);
  }
  // Bans of addresses inside the whitelisted range, or of ranges holding it, go too:
  // the jail must never block it.
  table_.for_each([&](const BanTable::Key &key, BanTable::Row &row) {
    if (chosen[key.jail] && row.active && overlap(key.prefix, prefix))
      lift(key, row, UnbanReason::whitelisted, out);
  });
  return out;
}

ControllerResult<Decisions> JailController::whitelist_remove(std::string_view name,
                                                             const IpPrefix &prefix) {
  auto ids = catalog_.resolve(name, JailCatalog::Scope::tiers_and_blacklist);
  if (!ids)
    return ids.error();
  Decisions out;
  for (JailId id : *ids) {
    if (!runtime_[id].whitelist.remove(prefix))
      continue;
    BanTable::Key key{id, prefix};
    if (BanTable::Row *row = table_.find(key)) {
      row->whitelisted = false;
      emit_record(key, *row, out);
    }
  }
  if (out.records.empty())
    return ControllerError::not_found(prefix.to_string() + " is not whitelisted in " +
                                      std::string(name));
  return out;
}

} // namespace mcf2b
