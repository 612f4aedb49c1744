// SPDX-License-Identifier: GPL-2.0-only
// State the controller takes rather than decides: the store's rows at start (Restorer),
// rows other cluster nodes wrote, and bans the kernel held that the store lost. None of
// them counts a ban or promotes to a -bl jail.
#include <algorithm>

#include "userspace/controller/jail_controller.h"

namespace mcf2b {

JailController::Restorer::Restorer(JailController &controller, size_t expected_rows)
    : c_(controller), now_(controller.clock_.now()) {
  c_.table_.reserve(c_.table_.size() + expected_rows);
  created_.reserve(expected_rows);
}

JailController::Restorer JailController::restorer(size_t expected_rows) {
  return Restorer(*this, expected_rows);
}

void JailController::Restorer::add(const BanRecord &r) {
  if (!last_jail_id_ || r.jail != last_jail_) {
    auto id = c_.catalog_.find(r.jail);
    if (!id) {
      if (std::find(summary_.unknown_jails.begin(), summary_.unknown_jails.end(), r.jail) ==
          summary_.unknown_jails.end())
        summary_.unknown_jails.push_back(r.jail);
      return;
    }
    last_jail_ = r.jail;
    last_jail_id_ = *id;
  }
  if (r.host != last_host_) {
    last_host_ = r.host;
    last_host_index_ = c_.table_.intern_host(r.host);
  }
  BanTable::Row incoming;
  incoming.count = r.count;
  incoming.active = r.active;
  incoming.blacklisted = r.blacklisted;
  incoming.whitelisted = r.whitelisted;
  incoming.host = last_host_index_;
  incoming.last_hit = r.last_hit;
  incoming.ban_start = r.ban_start;
  incoming.ban_end = r.ban_end;
  ++summary_.restored;
  bool created = false;
  BanTable::Entry &entry = c_.table_.emplace(BanTable::Key{*last_jail_id_, r.ip}, created);
  if (created) {
    entry.second = incoming;
    created_.push_back(&entry);
    return;
  }
  // MailCleaner had no unique (ip, jail) index and its duplicates froze it: merge.
  BanTable::Row *row = &entry.second;
  ++summary_.merged;
  row->count = std::max(row->count, incoming.count);
  row->blacklisted |= incoming.blacklisted;
  row->whitelisted |= incoming.whitelisted;
  row->last_hit = std::max(row->last_hit, incoming.last_hit);
  auto later = [](Seconds a, Seconds b) { return a == 0 ? b != 0 : (b != 0 && a > b); };
  if (incoming.active && (!row->active || later(incoming.ban_end, row->ban_end))) {
    row->active = true;
    row->ban_start = incoming.ban_start;
    row->ban_end = incoming.ban_end;
    row->host = incoming.host;
  }
}

RestoreSummary JailController::Restorer::finish(Decisions &out) {
  for (BanTable::Entry *entry : created_) {
    const BanTable::Key &key = entry->first;
    BanTable::Row &row = entry->second;
    JailRuntime &rt = c_.runtime_[key.jail];
    if (row.whitelisted)
      rt.whitelist.add(key.prefix);
    if (!row.active)
      continue;
    ++rt.stats.active;
    if (row.whitelisted) {
      c_.lift(key, row, UnbanReason::whitelisted, out);
    } else if (row.ban_end != 0 && row.ban_end <= now_) {
      ++summary_.expired;
      c_.lift(key, row, UnbanReason::expired, out);
    } else if (row.ban_end != 0) {
      c_.table_.schedule(key, row.ban_end);
    }
  }
  created_.clear();
  return std::move(summary_);
}

RestoreSummary JailController::restore(const std::vector<BanRecord> &records, Decisions &out) {
  Restorer restore = restorer(records.size());
  for (const BanRecord &r : records)
    restore.add(r);
  return restore.finish(out);
}

// ---- queries -------------------------------------------------------------------------

Decisions JailController::apply_replicated(const BanRecord &r) {
  Decisions out;
  auto id = catalog_.find(r.jail);
  if (!id)
    return out;
  const Seconds now = clock_.now();
  BanTable::Key key{*id, r.ip};
  BanTable::Row &row = table_.get(key);
  JailRuntime &rt = runtime_[*id];
  if (r.whitelisted && !row.whitelisted)
    rt.whitelist.add(r.ip);
  else if (!r.whitelisted && row.whitelisted)
    rt.whitelist.remove(r.ip);
  const bool was_active = row.active;
  row.count = r.count;
  row.blacklisted = r.blacklisted;
  row.whitelisted = r.whitelisted;
  row.last_hit = r.last_hit;
  row.host = table_.intern_host(r.host);
  const bool live = r.active && !r.whitelisted && (r.ban_end == 0 || r.ban_end > now);
  const std::string &name = catalog_.config(*id).name;
  if (live) {
    const bool changed = !was_active || row.ban_end != r.ban_end;
    row.active = true;
    row.ban_start = r.ban_start;
    row.ban_end = r.ban_end;
    if (!was_active)
      ++rt.stats.active;
    if (changed) {
      if (row.ban_end != 0)
        table_.schedule(key, row.ban_end);
      out.bans.push_back(BanDecision{name, r.ip, row.ban_start, row.ban_end, row.count,
                                     row.blacklisted, BanCause::replicated});
    }
  } else if (was_active) {
    row.active = false;
    if (rt.stats.active > 0)
      --rt.stats.active;
    out.unbans.push_back(UnbanDecision{name, r.ip, UnbanReason::replicated});
  }
  return out;
}

Result<Decisions> JailController::adopt_kernel_ban(std::string_view name, const IpPrefix &prefix,
                                                   Seconds end) {
  auto id = catalog_.find(name);
  if (!id)
    return Error::msg("unknown jail " + std::string(name));
  if (!catalog_.config(*id).enabled)
    return Error::msg("jail " + std::string(name) + " is disabled");
  if (never_banned(prefix) || runtime_[*id].whitelist.overlaps(prefix))
    return Error::msg(prefix.to_string() + " is never banned or whitelisted in " +
                      std::string(name));
  BanTable::Key key{*id, prefix};
  BanTable::Row &row = table_.get(key);
  Decisions out;
  if (row.active)
    return out;
  const Seconds now = clock_.now();
  row.count = std::max(row.count, 1);
  row.active = true;
  row.ban_start = now;
  row.ban_end = end;
  row.last_hit = now;
  row.host = node_host_;
  if (row.ban_end != 0)
    table_.schedule(key, row.ban_end);
  ++runtime_[*id].stats.active;
  emit_record(key, row, out);
  return out;
}

ControllerResult<Decisions> JailController::import_ban(std::string_view name,
                                                       const IpPrefix &prefix, Seconds start,
                                                       Seconds end, int count) {
  auto id = catalog_.find(name);
  if (!id)
    return catalog_.unknown("jail", name);
  const JailConfig &config = catalog_.config(*id);
  if (!config.enabled)
    return ControllerError::refused("jail " + config.name + " is disabled");
  const Seconds now = clock_.now();
  if (end != 0 && end <= now)
    return ControllerError::invalid("the ban ended at " + std::to_string(end));
  if (never_banned(prefix))
    return ControllerError::refused(prefix.to_string() +
                                    " is never banned (loopback, this host, a cluster node or "
                                    "the ignore list)");
  if (runtime_[*id].whitelist.overlaps(prefix))
    return ControllerError::refused(prefix.to_string() + " is whitelisted in " + config.name);
  BanTable::Key key{*id, prefix};
  BanTable::Row &row = table_.get(key);
  if (row.active)
    return ControllerError::refused(prefix.to_string() + " is already banned in " + config.name);
  row.count = std::max(row.count, std::max(count, 1));
  row.active = true;
  row.ban_start = std::min(start, now);
  row.ban_end = end;
  row.last_hit = row.ban_start;
  row.host = node_host_;
  if (row.ban_end != 0)
    table_.schedule(key, row.ban_end);
  ++runtime_[*id].stats.active;
  Decisions out;
  out.bans.push_back(BanDecision{config.name, prefix, row.ban_start, row.ban_end, row.count,
                                 row.blacklisted, BanCause::imported});
  emit_record(key, row, out);
  return out;
}

} // namespace mcf2b
