// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "base/seconds.h"
#include "userspace/model/ban.h"

namespace mcf2b {

// A jail's kernel slot: its index (0..63) in the ban filter's maps and bit in their jail
// masks, stable across restarts. Not the controller's tier slot of a jail family.
using JailSlot = uint32_t;

inline constexpr const char *kDefaultPinRoot = "/sys/fs/bpf/mcf2b";
inline constexpr uint32_t kMaxJails = 64;

// The destination ports a jail covers: a list, or every port (and every protocol).
struct JailPorts {
  bool all = false;
  std::vector<uint16_t> ports;

  static JailPorts all_ports() { return JailPorts{true, {}}; }
  // As parse_port_list() returns them: an empty list means all ports.
  static JailPorts from_list(std::vector<uint16_t> ports) {
    return ports.empty() ? all_ports() : JailPorts{false, std::move(ports)};
  }
};

struct JailInfo {
  std::string name;
  JailSlot kernel_slot = 0;
  JailPorts ports;
  uint64_t host_bans = 0;   // exact addresses (both address families)
  uint64_t prefix_bans = 0; // real prefixes (both address families)
};

struct BanChange {
  enum class Op : uint8_t { ban, unban };
  Op op = Op::ban;
  std::string jail;
  IpPrefix prefix;
  Seconds expires = 0; // for bans

  static BanChange ban(std::string jail, IpPrefix prefix, Seconds expires) {
    return BanChange{Op::ban, std::move(jail), prefix, expires};
  }
  static BanChange unban(std::string jail, IpPrefix prefix) {
    return BanChange{Op::unban, std::move(jail), prefix, 0};
  }
};

// What a bulk apply did: every change is attempted; failures say which and why.
struct ApplyReport {
  size_t applied = 0;
  // Index into the changes and error, by index; the index is the number of changes for an
  // error of no one change (a trie or the config word not refreshed).
  std::vector<std::pair<size_t, Error>> failed;
  [[nodiscard]] bool ok() const { return failed.empty(); }
};

struct WhitelistEntry {
  IpPrefix prefix;
  bool global = false;
  std::vector<std::string> jails; // when not global
};

struct JailCounters {
  std::string jail;
  JailSlot kernel_slot = 0;
  uint64_t packets = 0; // dropped
  uint64_t bytes = 0;
};

struct EnforcerCounters {
  uint64_t passed = 0;
  uint64_t dropped = 0;
  uint64_t unparsable = 0;
  uint64_t slow_path = 0;  // hits re-checked per jail because an expiry had passed
  uint64_t map_full = 0;   // bans refused because a map was full (this process)
  std::vector<JailCounters> jails;
};

enum class XdpMode : uint8_t { native, generic };

struct EnforcerOptions {
  std::string pin_root = kDefaultPinRoot;
  // Bans per address family the maps hold (host bans; and per jail, prefixes). When the
  // maps are pinned already, their capacity wins and a different value here is logged.
  uint32_t capacity = 1u << 20;
  // Where warnings go (generic XDP fallback, capacity mismatch); stderr when empty.
  std::function<void(std::string_view)> log;
};

// The XDP ban filter and its pinned maps. open() loads the program and reuses every map
// already pinned under the pin root (or creates and pins them; layout: pinned_layout.h),
// attach() swaps the program into a pinned bpf_link atomically, so bans hold while the
// process is gone and no packet slips through a restart. Jails get a kernel slot (0..63)
// that is persisted.
// Not thread-safe: one controller thread drives it. One process per pin root (flock).
class XdpEnforcer {
public:
  static Result<XdpEnforcer> open(EnforcerOptions options = {});
  ~XdpEnforcer();
  XdpEnforcer(XdpEnforcer &&) noexcept;
  XdpEnforcer &operator=(XdpEnforcer &&) noexcept;
  XdpEnforcer(const XdpEnforcer &) = delete;
  XdpEnforcer &operator=(const XdpEnforcer &) = delete;

  [[nodiscard]] const std::string &pin_root() const;
  [[nodiscard]] uint32_t capacity() const;
  // The loaded program, for BPF_PROG_TEST_RUN.
  [[nodiscard]] int program_fd() const;

  // Jails: the name keeps its kernel slot across restarts; setting again changes its ports.
  // Names are at most 28 characters (the ipset IPv6 twin appends "-v6").
  Result<JailSlot> set_jail(std::string_view name, const JailPorts &ports);
  // Unbans everything in the jail, clears its counters and frees its kernel slot.
  Status remove_jail(std::string_view name);
  [[nodiscard]] std::vector<JailInfo> jails() const;
  // The jail's kernel slot.
  [[nodiscard]] std::optional<JailSlot> slot_of(std::string_view name) const;

  // Interfaces in the caller's network namespace. Native XDP, else generic (logged).
  // Re-attaching an interface whose link is pinned replaces the program atomically.
  Result<XdpMode> attach(const std::string &ifname);
  // Removes the program from the interface and unpins its link.
  Status detach(const std::string &ifname);

  // A ban of a prefix (a host prefix is an address) in a jail, until `expires`.
  // Banning again updates the expiry. A full map is an error (and counted).
  Status ban(std::string_view jail, const IpPrefix &prefix, Seconds expires);
  // Unbanning what is not banned is not an error.
  Status unban(std::string_view jail, const IpPrefix &prefix);
  // Many bans and unbans at once. Host bans are written into the mmapped host tables
  // (no syscall per ban) and their per-jail expiries in one batched map command per
  // address family; prefixes through map updates.
  ApplyReport apply(std::span<const BanChange> changes);
  // Every ban of a jail, expired ones not yet swept included.
  Result<std::vector<EnforcedBan>> list_bans(std::string_view jail) const;
  // Removes bans whose expiry is at or before `now`; returns what it removed.
  Result<std::vector<EnforcedBan>> sweep_expired(Seconds now);

  // Whitelist: global (no jail) or for one jail; a whitelisted source is never dropped
  // by the jails it is whitelisted for.
  Status whitelist_add(const IpPrefix &prefix, std::optional<std::string_view> jail = {});
  Status whitelist_remove(const IpPrefix &prefix, std::optional<std::string_view> jail = {});
  [[nodiscard]] std::vector<WhitelistEntry> whitelist() const;

  Result<EnforcerCounters> counters() const;

  struct State;

private:
  explicit XdpEnforcer(std::unique_ptr<State> state);
  Status apply_one(const BanChange &change);
  std::unique_ptr<State> s_;
};

} // namespace mcf2b
