// SPDX-License-Identifier: GPL-2.0-only
// mcf2bd: the mcf2b controller daemon.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "base/fd.h"
#include "base/log.h"
#include "userspace/daemon/daemon.h"
#include "userspace/service/version.h"

namespace {

// Without --foreground: the parent returns once the daemon is ready (0) or failed (1),
// so init scripts and admins see a start-up error at once.
int daemonize_and_run(mcf2b::DaemonConfig config) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    std::perror("mcf2bd: pipe");
    return 1;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("mcf2bd: fork");
    return 1;
  }
  if (pid > 0) {
    ::close(ready[1]);
    char status = 1;
    if (::read(ready[0], &status, 1) != 1)
      status = 1;
    return status;
  }
  ::close(ready[0]);
  mcf2b::Fd notify(ready[1]);
  ::setsid();
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    ::close(devnull);
  }
  auto daemon = mcf2b::Daemon::start(std::move(config));
  char status = daemon ? 0 : 1;
  if (!daemon)
    mcf2b::log_error(daemon.error().message());
  (void)!::write(notify.get(), &status, 1);
  notify.reset();
  return daemon ? (*daemon)->run() : 1;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"mcf2bd: mcf2b's ban engine daemon. Reads the logs of the enabled jails, "
               "decides bans with MailCleaner's jail logic, enforces them with XDP and the "
               "ipset mirror, and answers mcf2b-ctl on its control socket."};
  app.set_version_flag("--version", mcf2b::kVersion);
  std::string config_path, state, replica, pin_root, socket, jail_dir, node, log_level, metrics, journal,
      cache_dir, log_timezone;
  std::vector<std::string> interfaces, filter_dirs;
  bool foreground = false;
  app.add_option("-c,--config", config_path, "config file (INI, [mcf2bd] section)")
      ->check(CLI::ExistingFile);
  app.add_option("--state", state, "state store URL: sqlite:PATH or mariadb://...");
  app.add_option("--journal", journal, "cluster: local journal file for database outages");
  app.add_option("--replica", replica, "cluster: this node's read replica (mariadb://...)");
  app.add_option("-i,--interface", interfaces, "interface to enforce on (repeatable)");
  app.add_option("--pin-root", pin_root, "bpffs folder for the pinned maps and program");
  app.add_option("--socket", socket, "control socket path");
  app.add_option("--jail-dir", jail_dir, "folder of jail files (fail2ban jail syntax)");
  app.add_option("--filter-dir", filter_dirs, "folder of filters (repeatable, searched in order)");
  app.add_option("--cache-dir", cache_dir, "folder for compiled Hyperscan databases");
  app.add_option("--node", node, "cluster node name (default: the host name)");
  app.add_option("--log-level", log_level, "error, warning, info or debug");
  app.add_option("--log-timezone", log_timezone, "time zone of log timestamps without one");
  app.add_option("--metrics", metrics, "serve Prometheus metrics on ADDRESS:PORT (loopback)");
  app.add_flag("-f,--foreground", foreground, "stay in the foreground (for systemd)");
  app.footer("Example:\n  mcf2bd --config /etc/mcf2b/mcf2bd.conf --interface eth0 --foreground");
  CLI11_PARSE(app, argc, argv);

  mcf2b::DaemonConfig config;
  if (!config_path.empty()) {
    if (auto st = mcf2b::read_daemon_config(config_path, config); !st) {
      std::fprintf(stderr, "mcf2bd: %s\n", st.error().message().c_str());
      return 2;
    }
  }
  // Flags override the file.
  if (!state.empty())
    config.state_url = state;
  if (!journal.empty())
    config.journal_path = journal;
  if (!replica.empty())
    config.replica_url = replica;
  if (!interfaces.empty())
    config.interfaces = interfaces;
  if (!pin_root.empty())
    config.pin_root = pin_root;
  if (!socket.empty())
    config.socket_path = socket;
  if (!jail_dir.empty())
    config.jail_dir = jail_dir;
  if (!filter_dirs.empty())
    config.filter_dirs = filter_dirs;
  if (!cache_dir.empty())
    config.cache_dir = cache_dir;
  if (!node.empty())
    config.node = node;
  if (!log_timezone.empty())
    config.log_timezone = log_timezone;
  if (!log_level.empty() && !mcf2b::parse_log_level(log_level, &config.log_level)) {
    std::fprintf(stderr, "mcf2bd: --log-level: expected error, warning, info or debug\n");
    return 2;
  }
  if (!metrics.empty()) {
    if (auto st = mcf2b::parse_metrics_endpoint(metrics, config); !st) {
      std::fprintf(stderr, "mcf2bd: --metrics: %s\n", st.error().message().c_str());
      return 2;
    }
  }
  config.foreground = config.foreground || foreground;
  mcf2b::set_log_level(config.log_level);

  if (!config.foreground)
    return daemonize_and_run(std::move(config));
  auto daemon = mcf2b::Daemon::start(std::move(config));
  if (!daemon) {
    mcf2b::log_error(daemon.error().message());
    return 1;
  }
  return (*daemon)->run();
}
