// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b {

// The ipset mirror of the ban maps, as MailCleaner admins expect it: per jail one
// hash:net set named exactly as the jail for IPv4 (`ipset list mc-exim-1d`) and its IPv6
// twin "<jail>-v6" (ipset names are at most 31 characters, jail names at most 28). Sets
// are sized for the enforcer's capacity (maxelem), without ipset timeouts: expiry is the
// maps' and the controller's business. Bans and unbans go to the kernel over netlink
// (IpsetNetlink), a few writes per call and no process; sets are made, and changes the
// netlink path could not write are retried, through one `ipset restore` stream per call;
// nothing passes through a shell. Works in the caller's network namespace (the calling
// thread's, for the child it forks and the netlink socket it opens first).
class IpsetMirror {
public:
  explicit IpsetMirror(uint32_t capacity);
  ~IpsetMirror();

  static std::string v4_set(std::string_view jail) { return std::string(jail); }
  static std::string v6_set(std::string_view jail) { return std::string(jail) + "-v6"; }

  // Creates the jail's two sets when missing.
  Status ensure_jail(std::string_view jail) const;
  // The same for many jails, in one restore stream.
  Status ensure_jails(std::span<const std::string> jails) const;
  // Destroys them (the fallback rules referencing them must be gone first).
  Status remove_jail(std::string_view jail) const;

  // Adds bans and deletes unbans: over netlink, or (a set missing, netlink refused) in
  // one restore stream that creates the sets it names.
  Status apply(std::span<const BanChange> changes) const;
  // Makes the jail's sets hold exactly `prefixes`: one read, one restore stream.
  Status reconcile(std::string_view jail, std::span<const IpPrefix> prefixes) const;
  // The same for many jails at once: one `ipset save`, one restore stream.
  Status reconcile_all(const std::map<std::string, std::vector<IpPrefix>> &jails) const;
  // What the jail's two sets hold.
  Result<std::vector<IpPrefix>> members(std::string_view jail) const;

private:
  // The `ipset restore` lines creating the jail's two sets.
  [[nodiscard]] std::string create_lines(std::string_view jail) const;
  uint32_t capacity_;
  struct Netlink; // the socket, opened at the first apply(), and its lock
  std::shared_ptr<Netlink> netlink_;
};

} // namespace mcf2b
