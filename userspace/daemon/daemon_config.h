// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.h"
#include "base/log.h"
#include "base/result.h"
#include "matcher/shipped_filters.h"
#include "matcher/use_dns.h"
#include "userspace/model/jail.h"
#include "userspace/notify/mailer.h"

namespace mcf2b {

// mcf2bd's settings: defaults, then the config file (--config, INI like fail2ban's, one
// [mcf2bd] section; every key is documented in the README), then command-line flags.
struct DaemonConfig {
  std::string state_url = "sqlite:/var/lib/mcf2b/state.sqlite3";
  std::string journal_path;               // cluster: local outage journal and snapshot
  std::string replica_url;                // cluster: this node's read replica (mariadb://)
  std::vector<std::string> interfaces;    // where the XDP program attaches
  std::string pin_root = "/sys/fs/bpf/mcf2b";
  std::string socket_path = "/run/mcf2b/mcf2bd.sock";
  std::string jail_dir = "/etc/mcf2b/jail.d";
  // An existing fail2ban configuration folder (/etc/fail2ban) whose enabled jails are
  // taken as fail2ban reads them; empty: none.
  std::string fail2ban_dir;
  // Filters by name: local overrides, our shipped ones, then fail2ban's stock filters.
  std::vector<std::string> filter_dirs = matcher::default_filter_dirs();
  std::string cache_dir = "/var/cache/mcf2b"; // compiled Hyperscan databases
  std::string node;                           // cluster node name; the host name if empty
  std::string log_timezone;                   // zone of log timestamps without one; local if empty
  // fail2ban's usedns for every jail whose jail file sets none: no (host names counted,
  // never resolved), raw (the same), yes (resolved after each scanned chunk), warn (yes,
  // logging each resolution).
  matcher::UseDns use_dns = matcher::UseDns::no;
  bool foreground = false;
  LogLevel log_level = LogLevel::info;
  // Metrics: off unless a loopback address and port are configured.
  std::optional<std::string> metrics_address;
  uint16_t metrics_port = 0;
  size_t max_tracked = 1'000'000;      // failure windows kept at most
  uint32_t ban_capacity = 1u << 20;    // bans per family the kernel maps hold
  std::vector<IpPrefix> ignore_list;   // never banned, besides loopback and own addresses
  std::vector<IpAddress> cluster_nodes; // never banned: the cluster's own nodes
  int sync_interval_ms = 500;          // cluster: how often other nodes' changes are read
  bool enable_default_jails = false;   // seed the 15 MailCleaner jails enabled (first start)
  bool ipset_mirror = true;            // keep ipset sets named after the jails
  // fail2ban action.d files by name, searched in order.
  std::vector<std::string> action_dirs = {"/etc/mcf2b/action.d", "/etc/fail2ban/action.d"};
  // Run firewall actions (iptables*, nftables*, ...) too instead of leaving their work
  // to mcf2b's enforcement.
  bool run_firewall_actions = false;
  // MailCleaner's ban mails (userspace/notify): the SMTP relay, the spool of notices
  // waiting for their mail, its bound, a jail's digest interval, the retry back-off.
  std::string mail_relay = "127.0.0.1:25";
  std::string mail_queue_dir = "/var/lib/mcf2b/mail";
  size_t mail_queue_max = 10000;
  int64_t mail_interval_s = 300;
  int64_t mail_retry_s = 10;     // first retry after a failed delivery; doubles
  int64_t mail_retry_max_s = 600; // up to this
  // A backlog is read in slices of about this many bytes, the event loop serving the
  // control socket, metrics, the mirror and the cluster between two (a slice takes a few
  // milliseconds at the daemon's speed).
  uint64_t catchup_slice_bytes = 1u << 20;
  // ... and of at most about this long: on a loaded host a byte count says little about
  // how long a slice keeps a control request waiting.
  int catchup_slice_ms = 5;
  // Decisions from the logs are stored at most about this long after they are enforced,
  // those of that time in one transaction (store_commits.h). Each transaction rewrites
  // the index pages its bans touch and syncs them; under a steady stream of small
  // appends, 100 ms cost more CPU than the lines themselves. Nothing is at stake in the
  // wait: the bans are in the pinned maps at once (a restart adopts them), the lines'
  // positions are stored with them (a crash re-reads the lines), a control request
  // commits what waits first, and the other nodes of a cluster see a ban within this
  // plus their sync_interval.
  int commit_delay_ms = 500;
  // A log written to all the time is read at most this often (read_pacing.h); 0 (the
  // default) reads it at every write: a ban within a millisecond of its line.
  int read_interval_ms = 0;
};

// One daemon setting: its key in the config file's [mcf2bd] section and, where it has
// one, its command-line flag; both go through the same `set`. mcf2bd's flags, the config
// file's keys and the documentation all come from daemon_options(), so a setting cannot
// exist in one and be missing from the other.
struct DaemonOption {
  std::string key;  // config file key
  std::string flag; // CLI11 flag names ("-i,--interface"), empty where file only
  std::string help;
  bool list = false; // several values: a repeatable flag, a comma or space separated key
  // Takes the setting's values (one for a plain setting); a bad value is an error saying
  // what was expected.
  std::function<Status(DaemonConfig &, const std::vector<std::string> &)> set;
};

const std::vector<DaemonOption> &daemon_options();

// Reads a config file into `config` (keeping what the file does not set). An unknown key
// or a bad value is an error naming the file and line.
Status read_daemon_config(const std::string &path, DaemonConfig &config);

// Parses a "127.0.0.1:9731" / "[::1]:9731" / "9731" (loopback) metrics setting.
Status parse_metrics_endpoint(const std::string &text, DaemonConfig &config);

// The ban mails' settings from the daemon's (`node`: the store's node name, the HELO).
MailerOptions mailer_options(const DaemonConfig &config, const std::string &node);

} // namespace mcf2b
