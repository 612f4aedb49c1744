// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <vector>

#include "userspace/service/decision_sink.h"
#include "userspace/store/state_store.h"

namespace mcf2b {

// The store's share of a Decisions: its fail2ban_ips rows and fail2ban_jail rows.
std::vector<Mutation> to_mutations(const Decisions &decisions);

// Persists decisions in one store transaction (mcf2b-ctl's offline mode; the daemon's
// sink does this after enforcing).
class StoreSink : public DecisionSink {
public:
  explicit StoreSink(StateStore &store) : store_(store) {}
  Status apply(const Decisions &decisions) override;

private:
  StateStore &store_;
};

} // namespace mcf2b
