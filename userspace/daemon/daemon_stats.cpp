// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/daemon_stats.h"

#include "userspace/daemon/prometheus_text.h"

namespace mcf2b {

DaemonStats read_daemon_stats(const JailController &controller, const Enforcer &enforcer) {
  DaemonStats s;
  s.controller = controller.stats();
  s.enforcement = enforcer.counters();
  for (const auto &j : controller.jails()) {
    DaemonStats::Jail out;
    out.name = j.name;
    if (auto js = controller.jail_stats(j.name); js)
      out.counts = *js;
    for (const auto &x : s.enforcement.jails)
      if (x.name == j.name)
        out.dropped_packets = x.packets, out.dropped_bytes = x.bytes;
    s.jails.push_back(std::move(out));
  }
  return s;
}

std::string to_prometheus(const DaemonStats &s) {
  PrometheusText t;
  const auto &c = s.logs;
  t.counter("mcf2b_log_lines_total", "Log lines scanned", double(c.lines));
  t.counter("mcf2b_log_bytes_total", "Log bytes scanned", double(c.bytes));
  t.counter("mcf2b_log_matches_total", "Log lines that matched a failregex", double(c.matched));
  t.counter("mcf2b_log_unparsable_total", "Matched lines that could not be used",
            double(c.unparsable()));
  for (const auto &f : s.log_files) {
    t.counter("mcf2b_log_file_lines_total", "Log lines scanned per log file",
              double(f.counters.lines), {{"log", f.path}});
    t.counter("mcf2b_log_file_bytes_total", "Log bytes scanned per log file",
              double(f.counters.bytes), {{"log", f.path}});
    t.counter("mcf2b_log_oversized_lines_total",
              "Lines longer than 1 MiB, skipped whole, per log file",
              double(f.follower.oversized_lines), {{"log", f.path}});
    t.counter("mcf2b_log_unreadable_total",
              "Times a log's path came to name something that is not a readable file",
              double(f.follower.unreadable), {{"log", f.path}});
    t.gauge("mcf2b_log_bytes_behind",
            "Bytes a log's files hold past the daemon's position (a backlog being caught up on)",
            double(f.bytes_behind), {{"log", f.path}});
  }
  t.counter("mcf2b_log_hostnames_total",
            "Failures naming a host name (resolved only with usedns yes or warn)",
            double(c.host_names));
  t.counter("mcf2b_log_hostnames_resolved_total",
            "Host names resolved to at least one address (usedns yes or warn)",
            double(s.resolver.resolved));
  t.counter("mcf2b_log_hostname_lookup_failures_total",
            "Host names that resolved to no address (failed, timed out or cached as such)",
            double(s.resolver.failures));
  const auto &cs = s.controller;
  t.counter("mcf2b_failures_total", "Failure events received", double(cs.failures));
  t.counter("mcf2b_failures_ignored_total", "Failures from never-banned addresses",
            double(cs.ignored));
  t.counter("mcf2b_failures_wide_prefix_total",
            "Prefix failures wider than /24 or /48 (never banned automatically)",
            double(cs.wide_prefixes));
  t.counter("mcf2b_window_evictions_total", "Failure windows evicted by the tracking bound",
            double(cs.evictions));
  t.gauge("mcf2b_tracked_addresses", "Addresses with a failure window", double(cs.tracked));
  for (const auto &j : s.jails) {
    t.counter("mcf2b_jail_failures_total", "Failures counted per jail", double(j.counts.failures),
              {{"jail", j.name}});
    t.counter("mcf2b_jail_bans_total", "Bans decided per jail", double(j.counts.bans),
              {{"jail", j.name}});
    t.gauge("mcf2b_jail_active_bans", "Active bans per jail", double(j.counts.active),
            {{"jail", j.name}});
    t.gauge("mcf2b_jail_broken",
            "1 for a jail that reads no log (its filter or log could not be used; see status)",
            j.broken.empty() ? 0.0 : 1.0, {{"jail", j.name}});
  }
  const auto &es = s.enforcement;
  for (const auto &j : es.jails) {
    t.counter("mcf2b_xdp_dropped_packets_total", "Packets dropped by XDP per jail",
              double(j.packets), {{"jail", j.name}});
    t.counter("mcf2b_xdp_dropped_bytes_total", "Bytes dropped by XDP per jail", double(j.bytes),
              {{"jail", j.name}});
  }
  t.counter("mcf2b_xdp_passed_packets_total", "Packets XDP passed", double(es.passed));
  t.counter("mcf2b_xdp_unparsable_packets_total", "Packets XDP could not parse",
            double(es.unparsable));
  t.counter("mcf2b_xdp_map_full_total", "Bans refused because a map was full",
            double(es.map_full));
  t.gauge("mcf2b_ban_capacity", "Bans per address family the kernel maps and ipsets hold",
          double(s.ban_capacity));
  t.counter("mcf2b_store_errors_total", "Store writes that failed", double(s.store_errors));
  t.gauge("mcf2b_store_pending_changes",
          "Enforced changes waiting for the store (retried until stored)",
          double(s.store_pending));
  t.counter("mcf2b_store_dropped_changes_total",
            "Enforced changes dropped because too many waited for the store",
            double(s.store_dropped));
  t.counter("mcf2b_mirror_errors_total", "ipset restore streams that failed",
            double(es.mirror_errors));
  t.counter("mcf2b_replicated_changes_total", "Changes applied from other cluster nodes",
            double(s.replicated));
  t.counter("mcf2b_action_commands_total", "action.d commands run", double(s.actions.commands));
  if (s.actions.failures_by_action.empty()) // the series exists before the first failure
    t.counter("mcf2b_action_failures_total",
              "action.d commands that failed or timed out, per action file", 0);
  for (const auto &[action, n] : s.actions.failures_by_action)
    t.counter("mcf2b_action_failures_total",
              "action.d commands that failed or timed out, per action file", double(n),
              {{"action", action}});
  t.counter("mcf2b_action_timeouts_total", "action.d commands killed at their timeout",
            double(s.actions.timeouts));
  t.counter("mcf2b_action_dropped_total", "action.d commands dropped by the full queue",
            double(s.actions.dropped));
  t.counter("mcf2b_mail_sent_total", "Ban mails the SMTP relay accepted", double(s.mail.sent));
  t.counter("mcf2b_mail_deferred_total", "Ban mail deliveries that failed and wait for a retry",
            double(s.mail.deferred));
  t.counter("mcf2b_mail_dropped_total",
            "Bans never mailed: the mail queue was full, or no sender or recipient is set",
            double(s.mail.dropped));
  t.gauge("mcf2b_mail_queued", "Bans waiting for their mail", double(s.mail.queued));
  return t.str();
}

nlohmann::json to_json(const DaemonStats &s) {
  nlohmann::json jails = nlohmann::json::array();
  for (const auto &j : s.jails) {
    jails.push_back({{"jail", j.name},
                     {"failures", j.counts.failures},
                     {"bans", j.counts.bans},
                     {"active", j.counts.active},
                     {"dropped_packets", j.dropped_packets},
                     {"dropped_bytes", j.dropped_bytes}});
    if (!j.broken.empty())
      jails.back()["broken"] = j.broken;
  }
  const auto &c = s.logs;
  const auto &es = s.enforcement;
  uint64_t behind = 0;
  for (const auto &f : s.log_files)
    behind += f.bytes_behind;
  return {{"daemon",
           {{"lines", c.lines},
            {"bytes_behind", behind},
            {"bytes", c.bytes},
            {"matched", c.matched},
            {"unparsable", c.unparsable()},
            {"host_names", c.host_names},
            {"store_errors", s.store_errors},
            {"store_pending", s.store_pending},
            {"store_dropped", s.store_dropped},
            {"source_errors", s.source_errors},
            {"replicated_changes", s.replicated},
            {"action_commands", s.actions.commands},
            {"action_failures", s.actions.failures},
            {"action_timeouts", s.actions.timeouts},
            {"action_dropped", s.actions.dropped},
            {"mail_sent", s.mail.sent},
            {"mail_deferred", s.mail.deferred},
            {"mail_dropped", s.mail.dropped},
            {"mail_queued", s.mail.queued},
            {"store", s.store_backend},
            {"node", s.node}}},
          {"xdp",
           {{"passed", es.passed},
            {"dropped", es.dropped},
            {"unparsable", es.unparsable},
            {"map_full", es.map_full}}},
          {"jails", jails}};
}

} // namespace mcf2b
