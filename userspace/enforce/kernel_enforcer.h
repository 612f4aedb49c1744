// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "userspace/enforce/enforcer.h"

namespace mcf2b {

struct KernelEnforcerOptions {
  std::string pin_root;
  uint32_t capacity = 1u << 20;
  bool ipset_mirror = true;
};

// Enforcement in the kernel: the XDP program's pinned maps (applied at once, the fast
// path) and the ipset mirror (changes queued and written in one `ipset restore` stream
// per flush, on the mirror's own thread), plus iptables rules over the ipsets on
// interfaces where XDP cannot attach.
class KernelEnforcer final : public Enforcer {
public:
  static Result<std::unique_ptr<KernelEnforcer>> open(const KernelEnforcerOptions &options);
  ~KernelEnforcer() override;

  // At most kMaxJails jails; the ports go to the maps, the jail names to the ipsets.
  Status configure_jails(const std::vector<JailConfig> &jails) override;
  // Native XDP, generic as fallback; where neither works, the iptables rules over the
  // ipsets.
  Result<std::vector<std::string>> attach(const std::vector<std::string> &interfaces) override;

  // The maps now; the mirror once flushed.
  void apply(std::span<const BanChange> changes) override;
  [[nodiscard]] bool pending() const override;
  Status flush() override;
  void wait_idle() override;

  // The maps before returning; the ipsets on the mirror's thread, queued ahead of any
  // change decided meanwhile.
  Result<std::vector<EnforcedBan>> reconcile(std::vector<EnforcedBan> wanted, Seconds now) override;
  [[nodiscard]] std::string last_reconcile() const override;

  Status sync_whitelist(const std::vector<IpPrefix> &global,
                        const std::vector<std::pair<std::string, IpPrefix>> &per_jail) override;
  Status sweep(Seconds now) override;

  [[nodiscard]] EnforcementCounters counters() const override;
  [[nodiscard]] Result<std::vector<IpPrefix>> bans(const std::string &jail) const override;

private:
  struct State;
  explicit KernelEnforcer(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

} // namespace mcf2b
