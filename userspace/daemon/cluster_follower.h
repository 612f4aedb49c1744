// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"
#include "userspace/controller/jail_controller.h"
#include "userspace/store/state_store.h"

namespace mcf2b {

// What one poll of the change log asks the daemon to do.
struct ClusterPoll {
  Decisions enforce;              // bans and unbans for the maps and the ipset mirror only
  bool jails_changed = false;     // jails were added or changed: configure them first
  bool whitelist_changed = false; // the kernel whitelist must follow the controller's
  size_t applied = 0;             // other nodes' changes taken
  bool caught_up = false;         // the master's whole state was taken (see start())
  bool more = false;              // the batch was full: poll again at once
};

// A cluster node's view of the others: reads the master's change log from where it last
// stood (one indexed range query per poll, whatever the number of bans) and hands other
// nodes' rows to the controller as they are, end time included, so a ban ends at the
// same moment everywhere. This node's own entries are skipped: the controller already
// holds them.
//
// Within one poll only the last entry of each (ip, jail) counts: rows are whole states,
// so an older entry would only flap the kernel, and skipping it keeps a node's own later
// change from being overridden by another node's earlier one read in the same batch.
class ClusterFollower {
public:
  ClusterFollower(StateStore &store, JailController &controller)
      : store_(store), controller_(controller) {}

  // Takes the log's current end as the starting point. When the master is away (the
  // node started from its local snapshot), the position stays unknown and the first
  // poll that reaches the master takes its whole state once, then follows the log.
  void start();

  // Applies what other nodes wrote since the last poll, at most `batch` entries (apply
  // one poll's decisions before the next: a later batch may touch the same rows). An
  // unreachable master is an Error (kStoreUnreachable) and changes nothing.
  Result<ClusterPoll> poll(size_t batch = 1000);

  [[nodiscard]] std::optional<int64_t> position() const { return seq_; }

private:
  Status catch_up(ClusterPoll &out);
  void take_jail(const JailConfig &incoming, ClusterPoll &out);
  void take_row(const BanRecord &row, ClusterPoll &out);

  StateStore &store_;
  JailController &controller_;
  std::optional<int64_t> seq_;
};

// In a cluster every node lifts an ended ban on time by itself (the end travels with
// the row), but only the node that wrote the ban (fail2ban_ips.host; empty = this node)
// records the expiry: one write per ban for the whole cluster instead of one per node,
// and no node's stale expiry overwrites a newer ban another node wrote meanwhile.
// Removes from `d.records` the expiry rows of other nodes' bans; the unbans stay.
void drop_expiry_records_of_other_nodes(Decisions &d, std::string_view node);

} // namespace mcf2b
