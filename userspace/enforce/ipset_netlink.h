// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b {

// Adds and deletes ipset members over the kernel's netlink interface, as `ipset restore`
// does, without a process per call: spawning `ipset restore` (a fork, an exec, the
// dynamic loader) cost a few milliseconds per mirror flush, most of the daemon's CPU when
// bans trickle in with small log appends. Adding a member that is there, or deleting one
// that is not, is no error (ipset's -exist). The socket belongs to the network namespace
// of the thread that opened it.
class IpsetNetlink {
public:
  static Result<IpsetNetlink> open();

  // One message per change, sent in a few large writes and answered by one
  // acknowledgement each; an error names the first change the kernel refused (a set
  // that does not exist yet answers ENOENT).
  using SetOf = std::function<std::string(const BanChange &)>;
  Status apply(std::span<const BanChange> changes, const SetOf &set_of);

private:
  IpsetNetlink() = default;
  Status send_and_wait(const std::vector<uint8_t> &messages, uint32_t first_seq, uint32_t last_seq,
                       std::span<const BanChange> changes);
  Fd socket_;
  uint32_t seq_ = 0;
};

} // namespace mcf2b
