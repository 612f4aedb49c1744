// SPDX-License-Identifier: GPL-2.0-only
// mcf2bd: the mcf2b controller daemon.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "base/fatal_signal_report.h"
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
  mcf2b::report_fatal_signals("mcf2bd");
  CLI::App app{"mcf2bd: mcf2b's ban engine daemon. Reads the logs of the enabled jails, "
               "decides bans with MailCleaner's jail logic, enforces them with XDP and the "
               "ipset mirror, and answers mcf2b-ctl on its control socket."};
  app.set_version_flag("--version", mcf2b::kVersion);
  std::string config_path;
  bool foreground = false;
  app.add_option("-c,--config", config_path, "config file (INI, [mcf2bd] section)")
      ->check(CLI::ExistingFile);
  // Every other flag comes from the option table, which also reads the config file.
  const auto &options = mcf2b::daemon_options();
  std::vector<std::vector<std::string>> flag_values(options.size());
  for (size_t i = 0; i < options.size(); ++i) {
    if (options[i].flag.empty())
      continue;
    if (options[i].list)
      app.add_option(options[i].flag, flag_values[i], options[i].help);
    else
      app.add_option(options[i].flag, flag_values[i], options[i].help)->expected(1);
  }
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
  for (size_t i = 0; i < options.size(); ++i) {
    if (flag_values[i].empty())
      continue;
    if (auto st = options[i].set(config, flag_values[i]); !st) {
      std::fprintf(stderr, "mcf2bd: %s: %s\n", options[i].flag.c_str(),
                   st.error().message().c_str());
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
