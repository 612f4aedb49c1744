// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <memory>

#include "base/result.h"
#include "mcf2b_shared.h"

struct packet_counter;
struct bpf_link;

namespace mcf2b {

// The pass-through counting XDP program: load, attach to an interface, read the sum of
// its per-CPU counters. Detaches and unloads when destroyed.
class PacketCounter {
public:
  static Result<PacketCounter> load();

  // Attaches through a bpf_link to the interface (in the caller's network namespace).
  Status attach(int ifindex);
  Status attach(const char *ifname);

  [[nodiscard]] Result<mcf2b_packet_count> total() const;
  [[nodiscard]] int prog_fd() const;

private:
  struct SkeletonDeleter {
    void operator()(packet_counter *skel) const;
  };
  struct LinkDeleter {
    void operator()(bpf_link *link) const;
  };
  std::unique_ptr<packet_counter, SkeletonDeleter> skel_;
  std::unique_ptr<bpf_link, LinkDeleter> link_;
};

} // namespace mcf2b
