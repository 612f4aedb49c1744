// SPDX-License-Identifier: GPL-2.0-only
#include "bench/daemon_probes/ipset_probe.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "tests/fixtures/netns_pair.h"
#include "userspace/enforce/ipset_netlink.h"

namespace mcf2b::bench {
Result<IpsetProbe> IpsetProbe::open(const std::string &ns) {
  std::optional<testing::NetnsScope> scope;
  if (!ns.empty()) {
    auto entered = testing::NetnsScope::enter(ns);
    if (!entered)
      return entered.error();
    scope.emplace(std::move(*entered));
  }
  IpsetProbe probe;
  probe.socket_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!probe.socket_)
    return Error::sys("netlink socket for ipset");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(probe.socket_.get(), reinterpret_cast<sockaddr *>(&local), sizeof local) != 0)
    return Error::sys("bind the ipset netlink socket");
  return probe;
}

Result<bool> IpsetProbe::contains(const std::string &set, const IpAddress &address) {
  alignas(nlmsghdr) uint8_t request[kIpsetRequestBytes];
  const nlmsghdr *test = put_ipset_member_request(request, IPSET_CMD_TEST, set, address,
                                                  std::nullopt, NLM_F_REQUEST | NLM_F_ACK, ++seq_);
  if (!test)
    return Error::msg("ipset set name '" + set + "' is too long");
  if (::send(socket_.get(), request, test->nlmsg_len, 0) < 0)
    return Error::sys("send an ipset test request");
  alignas(nlmsghdr) uint8_t reply[8192];
  for (;;) {
    ssize_t n = ::recv(socket_.get(), reply, sizeof reply, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Error::sys("receive the ipset test answer");
    }
    int len = static_cast<int>(n);
    for (auto *h = reinterpret_cast<nlmsghdr *>(reply); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq_ || h->nlmsg_type != NLMSG_ERROR)
        continue;
      const auto *e =
          reinterpret_cast<const nlmsgerr *>(reinterpret_cast<const uint8_t *>(h) + NLMSG_HDRLEN);
      int error = -e->error;
      if (error == 0)
        return true;
      // Absent from the set, or no such set (yet): not enforced.
      if (error == IPSET_ERR_EXIST || error == ENOENT)
        return false;
      return Error::sys("ipset test " + set + " " + address.to_string(), error);
    }
  }
}

} // namespace mcf2b::bench
