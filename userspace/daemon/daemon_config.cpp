// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/daemon_config.h"

#include <algorithm>
#include <charconv>

#include "base/word_list.h"
#include "matcher/ini_file.h"

namespace mcf2b {
namespace {

template <class Int> bool parse_int(const std::string &text, Int &out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

bool parse_bool(const std::string &text, bool &out) {
  if (text == "true" || text == "yes" || text == "1" || text == "on")
    out = true;
  else if (text == "false" || text == "no" || text == "0" || text == "off")
    out = false;
  else
    return false;
  return true;
}

} // namespace

Status parse_metrics_endpoint(const std::string &text, DaemonConfig &config) {
  std::string address = "127.0.0.1", port = text;
  if (size_t colon = text.rfind(':'); colon != std::string::npos) {
    address = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (address.size() >= 2 && address.front() == '[' && address.back() == ']')
      address = address.substr(1, address.size() - 2);
  }
  uint16_t p = 0;
  if (!parse_int(port, p) || p == 0)
    return Error::msg("invalid metrics port in '" + text + "'");
  auto ip = IpAddress::parse(address);
  if (!ip || !ip->is_loopback())
    return Error::msg("metrics are served on a loopback address only, not '" + address + "'");
  config.metrics_address = address;
  config.metrics_port = p;
  return {};
}

namespace {

using Values = std::vector<std::string>;

// Setters of the option table, by the shape of the field they fill.
auto text(std::string DaemonConfig::*field) {
  return [field](DaemonConfig &c, const Values &v) -> Status {
    c.*field = v.front();
    return {};
  };
}
auto words(std::vector<std::string> DaemonConfig::*field, bool required) {
  return [field, required](DaemonConfig &c, const Values &v) -> Status {
    if (required && v.empty())
      return Error::msg("expected at least one value");
    c.*field = v;
    return {};
  };
}
auto flag(bool DaemonConfig::*field) {
  return [field](DaemonConfig &c, const Values &v) -> Status {
    if (!parse_bool(v.front(), c.*field))
      return Error::msg("expected yes or no");
    return {};
  };
}
template <class Int> auto positive(Int DaemonConfig::*field, const char *expected = "") {
  return [field, expected](DaemonConfig &c, const Values &v) -> Status {
    Int n{};
    if (!parse_int(v.front(), n) || n <= 0)
      return Error::msg(*expected ? expected : "expected a positive whole number");
    c.*field = n;
    return {};
  };
}

// A duration with fail2ban's units (600, 10m, 2h), at least one second.
auto duration(int64_t DaemonConfig::*field) {
  return [field](DaemonConfig &c, const Values &v) -> Status {
    auto seconds = parse_duration(v.front());
    if (!seconds || *seconds <= 0)
      return Error::msg("expected a duration, e.g. 30, 5m or 1h");
    c.*field = *seconds;
    return {};
  };
}

std::vector<DaemonOption> make_options() {
  return {
      {"state", "--state", "state store URL: sqlite:PATH or mariadb://...", false,
       text(&DaemonConfig::state_url)},
      {"journal", "--journal", "cluster: local journal file for database outages", false,
       text(&DaemonConfig::journal_path)},
      {"replica", "--replica", "cluster: this node's read replica (mariadb://...)", false,
       text(&DaemonConfig::replica_url)},
      {"interface", "-i,--interface", "interface to enforce on (repeatable)", true,
       words(&DaemonConfig::interfaces, false)},
      {"pin_root", "--pin-root", "bpffs folder for the pinned maps and program", false,
       text(&DaemonConfig::pin_root)},
      {"socket", "--socket", "control socket path", false, text(&DaemonConfig::socket_path)},
      {"jail_dir", "--jail-dir", "folder of jail files (fail2ban jail syntax)", false,
       text(&DaemonConfig::jail_dir)},
      {"fail2ban_dir", "--fail2ban-dir",
       "an existing fail2ban configuration folder (e.g. /etc/fail2ban) whose enabled jails are "
       "taken as fail2ban reads them",
       false, text(&DaemonConfig::fail2ban_dir)},
      {"filter_dir", "--filter-dir", "folder of filters (repeatable, searched in order)", true,
       words(&DaemonConfig::filter_dirs, true)},
      {"cache_dir", "--cache-dir", "folder for compiled Hyperscan databases", false,
       text(&DaemonConfig::cache_dir)},
      {"node", "--node", "cluster node name (default: the host name)", false,
       text(&DaemonConfig::node)},
      {"log_level", "--log-level", "error, warning, info or debug", false,
       [](DaemonConfig &c, const Values &v) -> Status {
         if (!parse_log_level(v.front(), &c.log_level))
           return Error::msg("expected error, warning, info or debug");
         return {};
       }},
      {"log_timezone", "--log-timezone", "time zone of log timestamps without one", false,
       text(&DaemonConfig::log_timezone)},
      {"metrics", "--metrics", "serve Prometheus metrics on ADDRESS:PORT (loopback)", false,
       [](DaemonConfig &c, const Values &v) -> Status {
         if (v.front().empty() || v.front() == "off") {
           c.metrics_address.reset();
           return {};
         }
         return parse_metrics_endpoint(v.front(), c);
       }},
      {"max_tracked", "", "failing addresses tracked at most", false,
       positive(&DaemonConfig::max_tracked)},
      {"ban_capacity", "", "bans per address family the kernel maps and ipsets hold", false,
       positive(&DaemonConfig::ban_capacity)},
      {"sync_interval", "", "cluster: milliseconds between two reads of the other nodes' changes",
       false, positive(&DaemonConfig::sync_interval_ms, "expected milliseconds, e.g. 500")},
      {"read_interval", "",
       "milliseconds: a log written to all the time is read at most this often (0: at "
       "every write)",
       false,
       [](DaemonConfig &c, const Values &v) -> Status {
         int ms = 0;
         if (!parse_int(v.front(), ms) || ms < 0 || ms > 10000)
           return Error::msg("expected milliseconds from 0 to 10000, e.g. 50");
         c.read_interval_ms = ms;
         return {};
       }},
      {"ignoreip", "", "addresses and prefixes never banned", true,
       [](DaemonConfig &c, const Values &v) -> Status {
         c.ignore_list.clear();
         for (const auto &item : v) {
           auto p = IpPrefix::parse(item);
           if (!p)
             return p.error();
           c.ignore_list.push_back(*p);
         }
         return {};
       }},
      {"cluster_nodes", "", "the cluster's node addresses: never banned", true,
       [](DaemonConfig &c, const Values &v) -> Status {
         c.cluster_nodes.clear();
         for (const auto &item : v) {
           auto a = IpAddress::parse(item);
           if (!a)
             return a.error();
           c.cluster_nodes.push_back(*a);
         }
         return {};
       }},
      {"enable_default_jails", "", "seed MailCleaner's 15 jails enabled", false,
       flag(&DaemonConfig::enable_default_jails)},
      {"ipset_mirror", "", "keep one ipset per jail", false, flag(&DaemonConfig::ipset_mirror)},
      {"action_dir", "", "folders of fail2ban action.d files, searched in order", true,
       words(&DaemonConfig::action_dirs, true)},
      {"run_firewall_actions", "", "also run firewall actions mcf2b's enforcement replaces",
       false, flag(&DaemonConfig::run_firewall_actions)},
      {"mail_relay", "", "ban mails: the SMTP relay, HOST:PORT", false,
       text(&DaemonConfig::mail_relay)},
      {"mail_queue_dir", "", "ban mails: the spool of bans waiting for their mail", false,
       text(&DaemonConfig::mail_queue_dir)},
      {"mail_queue_max", "", "ban mails: bans spooled at most (the oldest dropped beyond)", false,
       positive(&DaemonConfig::mail_queue_max)},
      {"mail_interval", "", "ban mails: at most one mail per jail this often (5m)", false,
       duration(&DaemonConfig::mail_interval_s)},
      {"mail_retry", "", "ban mails: first retry after a failed delivery, then doubled", false,
       duration(&DaemonConfig::mail_retry_s)},
      {"mail_retry_max", "", "ban mails: the longest wait between two retries", false,
       duration(&DaemonConfig::mail_retry_max_s)},
      {"usedns", "", "fail2ban's usedns for jails that set none: yes, warn, no or raw", false,
       [](DaemonConfig &c, const Values &v) -> Status {
         auto mode = matcher::parse_use_dns(v.front());
         if (!mode)
           return Error::msg("expected yes, warn, no or raw");
         c.use_dns = *mode;
         return {};
       }},
  };
}

} // namespace

const std::vector<DaemonOption> &daemon_options() {
  static const std::vector<DaemonOption> options = make_options();
  return options;
}

Status read_daemon_config(const std::string &path, DaemonConfig &config) {
  auto ini = matcher::IniFile::read(path);
  if (!ini)
    return ini.error();
  for (const auto &[section, keys] : ini->sections) {
    if (section != "mcf2bd") {
      auto where = keys.empty() ? path : keys.begin()->second.where.to_string();
      return Error::msg(where + ": unknown section [" + section + "] (expected [mcf2bd])");
    }
  }
  auto it = ini->sections.find("mcf2bd");
  if (it == ini->sections.end())
    return {};
  const auto &options = daemon_options();
  for (const auto &[key, value] : it->second) {
    auto option = std::find_if(options.begin(), options.end(),
                               [&key = key](const DaemonOption &o) { return o.key == key; });
    if (option == options.end())
      return Error::msg(value.where.to_string() + ": unknown key '" + key + "'");
    Values values = option->list ? split_word_list(value.text) : Values{value.text};
    if (auto st = option->set(config, values); !st)
      return Error::msg(value.where.to_string() + ": invalid value '" + value.text + "' for " +
                        key + ": " + st.error().message());
  }
  return {};
}

MailerOptions mailer_options(const DaemonConfig &cfg, const std::string &node) {
  MailerOptions o;
  o.smtp.relay = cfg.mail_relay;
  o.smtp.helo = node;
  o.spool_dir = cfg.mail_queue_dir;
  o.queue_max = cfg.mail_queue_max;
  o.digest.interval = std::chrono::seconds(cfg.mail_interval_s);
  o.digest.retry_initial = std::chrono::seconds(cfg.mail_retry_s);
  o.digest.retry_max = std::chrono::seconds(cfg.mail_retry_max_s);
  o.node = node;
  return o;
}

} // namespace mcf2b
