// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <functional>
#include <unordered_map>

#include "base/ip_address.h"
#include "base/seconds.h"
#include "userspace/controller/family_prefix.h"

namespace mcf2b {

// Addresses whose bans an admin lifted, per jail family, with the time: their failures
// from before then no longer count. A log's lines can reach the controller after the
// unban that should have forgiven them: read again after a crash (their position was not
// stored yet; the bans they made came back from the pinned maps, and the admin lifted
// them before the daemon re-read the lines), or read late by a daemon catching up. fail2ban
// starts an unbanned address's count afresh too. Kept while such failures could still
// count: a family's horizon (its largest findtime).
class ForgivenFailures {
public:
  void forgive(JailFamilyId family, const IpPrefix &prefix, Seconds at);
  // Whether a failure at `time` is from before the address's last lift in the family.
  [[nodiscard]] bool forgiven(JailFamilyId family, const IpPrefix &prefix, Seconds time) const;
  // Drops lifts older than their family's horizon (`horizon(family)` seconds).
  void prune(Seconds now, const std::function<Seconds(JailFamilyId)> &horizon);
  [[nodiscard]] size_t size() const { return lifted_.size(); }

private:
  std::unordered_map<FamilyPrefix, Seconds, FamilyPrefixHash> lifted_;
};

} // namespace mcf2b
