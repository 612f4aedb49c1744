// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/cluster_follower.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "base/log.h"

namespace mcf2b {
namespace {

bool is_row_change(ChangeKind kind) {
  return kind == ChangeKind::ban || kind == ChangeKind::unban ||
         kind == ChangeKind::whitelist_add || kind == ChangeKind::whitelist_remove;
}

// Everything but the log path, which is the node's own (see take_jail).
bool same_settings(const JailConfig &a, const JailConfig &b) {
  return a.name == b.name && a.enabled == b.enabled && a.maxretry == b.maxretry &&
         a.findtime == b.findtime && a.bantime == b.bantime && a.port == b.port &&
         a.filter == b.filter && a.banaction == b.banaction && a.max_count == b.max_count &&
         a.send_mail == b.send_mail && a.send_mail_bl == b.send_mail_bl;
}

// The store has what the other node decided; only the enforcers' share is left to do.
Decisions enforcers_only(Decisions d) {
  d.records.clear();
  d.jails.clear();
  return d;
}

} // namespace

void ClusterFollower::start() {
  auto seq = store_.max_seq();
  if (seq)
    seq_ = *seq;
  else
    log_warning("cluster: the master is not reachable (" + seq.error().message() +
                "); running from the local snapshot until it is");
}

void ClusterFollower::take_jail(const JailConfig &incoming, ClusterPoll &out) {
  JailConfig jail = incoming;
  const JailConfig *mine = controller_.jail(jail.name);
  // Log paths belong to the node that reads them: a node whose files live elsewhere
  // keeps its own path when another node writes the jail's row.
  if (mine && !mine->logpath.empty())
    jail.logpath = mine->logpath;
  if (mine && same_settings(*mine, jail))
    return;
  auto d = controller_.update_jail(jail);
  if (!d) {
    log_warning("cluster: jail " + jail.name + " from the master: " + d.error().message());
    return;
  }
  out.enforce.append(enforcers_only(std::move(*d)));
  out.jails_changed = true;
}

void ClusterFollower::take_row(const BanRecord &row, ClusterPoll &out) {
  auto before = controller_.record(row.jail, row.ip);
  const bool was_whitelisted = before && before->whitelisted;
  out.enforce.append(controller_.apply_replicated(row));
  if (was_whitelisted != row.whitelisted)
    out.whitelist_changed = true;
}

Status ClusterFollower::catch_up(ClusterPoll &out) {
  // The position first: whatever is written after it is read by the next poll again,
  // and taking a row twice changes nothing.
  auto seq = store_.max_seq();
  if (!seq)
    return seq.error();
  auto jails = store_.list_jails();
  if (!jails)
    return jails.error();
  auto rows = store_.list_bans(BanQuery{});
  if (!rows)
    return rows.error();
  for (const auto &j : *jails)
    take_jail(j, out);
  for (const auto &r : *rows)
    take_row(r, out);
  out.whitelist_changed = true;
  out.caught_up = true;
  out.applied = rows->size();
  seq_ = *seq;
  log_info("cluster: caught up with the master (" + std::to_string(rows->size()) +
           " rows, change log at " + std::to_string(*seq) + ")");
  return {};
}

Result<ClusterPoll> ClusterFollower::poll(size_t batch) {
  ClusterPoll out;
  if (!seq_) {
    if (auto st = catch_up(out); !st)
      return st.error();
    return out;
  }
  auto changes = store_.changes_since(*seq_, batch);
  if (!changes)
    return changes.error();
  out.more = changes->size() >= batch;
  // The last entry of each (ip, jail) in this batch.
  std::map<std::pair<std::string, IpPrefix>, size_t> last;
  for (size_t i = 0; i < changes->size(); ++i)
    if (is_row_change((*changes)[i].kind))
      last[{(*changes)[i].jail, (*changes)[i].row.ip}] = i;
  const std::string &self = store_.node();
  for (size_t i = 0; i < changes->size(); ++i) {
    const Change &c = (*changes)[i];
    seq_ = c.seq;
    if (c.node == self)
      continue;
    switch (c.kind) {
    case ChangeKind::ban:
    case ChangeKind::unban:
    case ChangeKind::whitelist_add:
    case ChangeKind::whitelist_remove:
      if (last[{c.jail, c.row.ip}] != i)
        continue;
      take_row(c.row, out);
      break;
    case ChangeKind::jail_put: {
      auto j = store_.get_jail(c.jail);
      if (!j) {
        // Read it again next time rather than skip it.
        seq_ = c.seq - 1;
        return out;
      }
      if (*j)
        take_jail(**j, out);
      break;
    }
    case ChangeKind::jail_remove:
      if (auto d = controller_.disable_jail(c.jail); d) {
        out.enforce.append(enforcers_only(std::move(*d)));
        out.jails_changed = true;
      }
      break;
    case ChangeKind::setting_put:
    case ChangeKind::counts_reset:
    case ChangeKind::mail_conf_put: // the mailer reads fail2ban_conf when it sends
      break;
    }
    ++out.applied;
  }
  return out;
}

void drop_expiry_records_of_other_nodes(Decisions &d, std::string_view node) {
  std::set<std::pair<std::string, IpPrefix>> expired;
  for (const auto &u : d.unbans)
    if (u.reason == UnbanReason::expired)
      expired.insert({u.jail, u.prefix});
  if (expired.empty())
    return;
  std::erase_if(d.records, [&](const BanRecord &r) {
    return !r.active && !r.host.empty() && r.host != node && expired.count({r.jail, r.ip}) > 0;
  });
}

} // namespace mcf2b
