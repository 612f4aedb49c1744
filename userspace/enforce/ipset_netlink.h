// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "userspace/enforce/xdp_enforcer.h"

struct nlmsghdr;

namespace mcf2b {

// One ipset member request (IPSET_CMD_ADD, _DEL or _TEST) for `address` in `set`, built
// with libmnl at the start of `buf` (kIpsetRequestBytes bytes: a set name is at most 31
// characters, so a request is never more than about 110 bytes). Without `cidr` a test
// matches any member that contains the address. nullptr: the set name is too long.
inline constexpr size_t kIpsetRequestBytes = 256;
nlmsghdr *put_ipset_member_request(void *buf, uint8_t command, const std::string &set,
                                   const IpAddress &address, std::optional<uint8_t> cidr,
                                   uint16_t flags, uint32_t seq);

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
