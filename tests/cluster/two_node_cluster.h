// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "tests/fixtures/bpffs_pin_dir.h"
#include "tests/fixtures/daemon_process.h"
#include "tests/fixtures/mariadb_server.h"
#include "tests/fixtures/netns_pair.h"
#include "tests/fixtures/temp_dir.h"

namespace mcf2b::testing {

// Two mcf2bd nodes ("node-a", "node-b") on one private MariaDB server (database
// mc_config), as a MailCleaner cluster runs them. Each gateway sits in its own network
// namespace behind its own attacker namespace (one NetnsPair per node: attacker side a,
// gateway side b), and the attacker addresses are on both attacker sides, so the same
// source can knock on both gateways. Each node has its own pin root, control socket,
// folder and outage journal; TCP listeners on ports 25 and 22 stand in for the mail and
// ssh services. Everything goes away with the object.
class TwoNodeCluster {
public:
  struct Options {
    std::vector<std::string> attackers = {"203.0.113.5"};
    std::string config_lines; // extra [mcf2bd] lines for both daemons
  };
  static constexpr int kNodes = 2;

  static Result<std::unique_ptr<TwoNodeCluster>> create(Options options);
  ~TwoNodeCluster();

  MariadbServer &server() { return *server_; }
  DaemonProcess &node(int i) { return *daemons_[i]; }
  [[nodiscard]] static std::string node_name(int i) { return i == 0 ? "node-a" : "node-b"; }
  [[nodiscard]] const std::string &pin_root(int i) const { return pin_roots_[i]; }
  [[nodiscard]] const NetnsPair &link(int i) const { return *links_[i]; }

  // Starts node i (again: after stop()) with its journal; `fresh_pins` gives it a new
  // pin root first, as after a reboot (bpffs starts empty, the XDP program is gone).
  Status start_node(int i, bool fresh_pins = false);
  Status stop_node(int i);

  // Whether a TCP connection from `source` (an attacker address) reaches node i's port.
  bool connects(int i, const std::string &source, uint16_t port);
  // `ipset list SET` in node i's namespace.
  std::string ipset_list(int i, const std::string &set);

  // The rows a query on the master returns, each column as text (NULL as "NULL").
  Result<std::vector<std::vector<std::string>>> select(const std::string &sql);

  // Whether daemon `d` reports `ip` actively banned in `jail` (its controller, which
  // applies a change to the kernel maps before it answers the next request).
  static bool banned(const DaemonProcess &d, const std::string &jail, const std::string &ip);

  // The jail file both nodes read: mc-exim (and its -bl jail) and mc-ssh enabled.
  static const char *jail_file();

private:
  TwoNodeCluster() = default;
  Options options_;
  std::optional<MariadbServer> server_;
  std::optional<TempDir> journals_;
  std::array<std::optional<NetnsPair>, kNodes> links_;
  std::array<std::optional<BpffsPinDir>, kNodes> pins_;
  std::array<std::string, kNodes> pin_roots_;
  std::array<std::optional<DaemonProcess>, kNodes> daemons_;
  std::vector<Fd> listeners_;
};

// Polls `done` every 10 ms until it is true or `timeout_ms` passed; returns the
// milliseconds it took, or nullopt on time-out.
template <class Fn> std::optional<double> wait_for(Fn done, int timeout_ms) {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (done())
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
          .count();
    if (std::chrono::steady_clock::now() - start > std::chrono::milliseconds(timeout_ms))
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

} // namespace mcf2b::testing
