// SPDX-License-Identifier: GPL-2.0-only
#include "bench/daemon_probes/ipset_probe.h"

#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "tests/fixtures/netns_pair.h"

namespace mcf2b::bench {
namespace {

// A netlink message built attribute by attribute, nests closed by length patching.
class NetlinkMessage {
public:
  NetlinkMessage(uint16_t type, uint16_t flags, uint32_t seq) {
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = flags;
    h.nlmsg_seq = seq;
    put(&h, sizeof h);
  }
  void put(const void *data, size_t size) {
    const auto *p = static_cast<const uint8_t *>(data);
    buf_.insert(buf_.end(), p, p + size);
    buf_.resize(NLMSG_ALIGN(buf_.size()));
  }
  void attr(uint16_t type, const void *data, size_t size) {
    nlattr a{};
    a.nla_type = type;
    a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + size);
    size_t at = buf_.size();
    put(&a, sizeof a);
    buf_.resize(at + NLA_HDRLEN);
    put(data, size);
  }
  size_t open_nest(uint16_t type) {
    size_t at = buf_.size();
    nlattr a{};
    a.nla_type = static_cast<uint16_t>(type | NLA_F_NESTED);
    put(&a, sizeof a);
    return at;
  }
  void close_nest(size_t at) {
    auto len = static_cast<uint16_t>(buf_.size() - at);
    std::memcpy(buf_.data() + at, &len, sizeof len);
  }
  std::vector<uint8_t> &finish() {
    auto len = static_cast<uint32_t>(buf_.size());
    std::memcpy(buf_.data(), &len, sizeof len);
    return buf_;
  }

private:
  std::vector<uint8_t> buf_;
};

} // namespace

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
  NetlinkMessage m((NFNL_SUBSYS_IPSET << 8) | IPSET_CMD_TEST, NLM_F_REQUEST | NLM_F_ACK, ++seq_);
  nfgenmsg g{};
  g.nfgen_family = address.is_v4() ? AF_INET : AF_INET6;
  g.version = NFNETLINK_V0;
  m.put(&g, sizeof g);
  uint8_t protocol = IPSET_PROTOCOL;
  m.attr(IPSET_ATTR_PROTOCOL, &protocol, 1);
  m.attr(IPSET_ATTR_SETNAME, set.c_str(), set.size() + 1);
  size_t data = m.open_nest(IPSET_ATTR_DATA);
  size_t ip = m.open_nest(IPSET_ATTR_IP);
  if (address.is_v4())
    m.attr(IPSET_ATTR_IPADDR_IPV4 | NLA_F_NET_BYTEORDER, address.bytes().data(), 4);
  else
    m.attr(IPSET_ATTR_IPADDR_IPV6 | NLA_F_NET_BYTEORDER, address.bytes().data(), 16);
  m.close_nest(ip);
  m.close_nest(data);
  auto &out = m.finish();
  if (::send(socket_.get(), out.data(), out.size(), 0) < 0)
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
      const auto *e = reinterpret_cast<const nlmsgerr *>(reinterpret_cast<const uint8_t *>(h) +
                                                         NLMSG_HDRLEN);
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
