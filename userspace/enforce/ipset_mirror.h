// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <map>
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
// maps' and the controller's business. Every change goes through one `ipset restore`
// stream per call, never a process per ban; nothing passes through a shell. Works in the
// caller's network namespace (the calling thread's, for the child it forks).
class IpsetMirror {
public:
  explicit IpsetMirror(uint32_t capacity) : capacity_(capacity) {}

  static std::string v4_set(std::string_view jail) { return std::string(jail); }
  static std::string v6_set(std::string_view jail) { return std::string(jail) + "-v6"; }

  // Creates the jail's two sets when missing.
  Status ensure_jail(std::string_view jail) const;
  // The same for many jails, in one restore stream.
  Status ensure_jails(std::span<const std::string> jails) const;
  // Destroys them (the fallback rules referencing them must be gone first).
  Status remove_jail(std::string_view jail) const;

  // Adds bans and deletes unbans, in one restore stream.
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
};

} // namespace mcf2b
