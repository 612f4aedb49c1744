// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "base/subprocess.h"
#include "tests/fixtures/temp_dir.h"

namespace mcf2b::bench {

// One fail2ban jail, in fail2ban's own terms.
struct Fail2banJail {
  std::string name = "mc-exim";
  std::string filter_file; // a filter.d file, copied into the private config
  int maxretry = 5;
  int findtime = 3600;
  int bantime = 86400;
  std::string port = "25";
  std::string protocol = "udp";
  std::string backend = "pyinotify"; // its fastest file backend (no 1 s polling)
  bool ipset_action = true; // iptables-ipset; false: no action (bans counted, not enforced)
};

struct Fail2banCounts {
  uint64_t total_failed = 0;
  uint64_t total_banned = 0;
};

// fail2ban from the Debian package, run privately: its own config folder, socket, pid
// file, database and log in a temp folder, the server started inside a network
// namespace so its ipset action (iptables-ipset: one ipset, one iptables rule) touches
// that namespace only. Never the system service.
class Fail2banServer {
public:
  static Result<Fail2banServer> start(const std::string &ns, const Fail2banJail &jail) {
    return start(ns, std::vector<Fail2banJail>{jail});
  }
  // Several jails reading the same log with the same filter (MailCleaner's tiers).
  static Result<Fail2banServer> start(const std::string &ns,
                                      const std::vector<Fail2banJail> &jails);
  ~Fail2banServer();
  Fail2banServer(Fail2banServer &&) noexcept = default;
  Fail2banServer &operator=(Fail2banServer &&) = delete;

  // The log file the jail follows.
  [[nodiscard]] std::string log_path() const { return dir_.file("exim.log"); }
  // The ipset its action bans into.
  [[nodiscard]] std::string set_name() const { return "f2b-" + jails_.front().name; }
  [[nodiscard]] std::string pid_path() const { return dir_.file("fail2ban.pid"); }
  [[nodiscard]] std::string log() const;
  // `fail2ban-client status JAIL`, parsed (the first jail's by default).
  Result<Fail2banCounts> counts() const { return counts(jails_.front().name); }
  Result<Fail2banCounts> counts(const std::string &jail) const;

private:
  explicit Fail2banServer(testing::TempDir dir) : dir_(std::move(dir)) {}
  std::vector<std::string> client(std::vector<std::string> args) const;
  testing::TempDir dir_;
  std::vector<Fail2banJail> jails_;
  ChildProcess process_;
};

} // namespace mcf2b::bench
