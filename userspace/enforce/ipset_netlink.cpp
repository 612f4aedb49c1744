// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/ipset_netlink.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace mcf2b {

nlmsghdr *put_ipset_member_request(void *buf, uint8_t command, const std::string &set,
                                   const IpAddress &address, std::optional<uint8_t> cidr,
                                   uint16_t flags, uint32_t seq) {
  constexpr size_t room = kIpsetRequestBytes;
  nlmsghdr *h = mnl_nlmsg_put_header(buf);
  h->nlmsg_type = static_cast<uint16_t>((NFNL_SUBSYS_IPSET << 8) | command);
  h->nlmsg_flags = flags;
  h->nlmsg_seq = seq;
  auto *g = static_cast<nfgenmsg *>(mnl_nlmsg_put_extra_header(h, sizeof(nfgenmsg)));
  g->nfgen_family = address.is_v4() ? AF_INET : AF_INET6;
  g->version = NFNETLINK_V0;
  // The _check forms refuse to write past `room`: a set name too long for ipset fails here.
  nlattr *data = nullptr, *ip = nullptr;
  bool fits =
      mnl_attr_put_u8_check(h, room, IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL) &&
      set.size() < IPSET_MAXNAMELEN &&
      mnl_attr_put_strz_check(h, room, IPSET_ATTR_SETNAME, set.c_str()) &&
      (data = mnl_attr_nest_start_check(h, room, IPSET_ATTR_DATA)) &&
      (ip = mnl_attr_nest_start_check(h, room, IPSET_ATTR_IP)) &&
      (address.is_v4() ? mnl_attr_put_check(h, room, IPSET_ATTR_IPADDR_IPV4 | NLA_F_NET_BYTEORDER,
                                            4, address.bytes().data())
                       : mnl_attr_put_check(h, room, IPSET_ATTR_IPADDR_IPV6 | NLA_F_NET_BYTEORDER,
                                            16, address.bytes().data()));
  if (!fits)
    return nullptr;
  mnl_attr_nest_end(h, ip);
  if (cidr && !mnl_attr_put_u8_check(h, room, IPSET_ATTR_CIDR, *cidr))
    return nullptr;
  mnl_attr_nest_end(h, data);
  return h;
}

namespace {

// Messages go out in writes of about this size (about 160 changes): the kernel handles
// a write whole, queueing its answers before send() returns, and they must fit the
// socket's receive buffer (kReceiveBytes) even when every change is refused.
constexpr size_t kWriteBytes = 16 * 1024;
constexpr int kReceiveBytes = 1 << 20;

// IPSET_CMD_ADD or _DEL of one prefix, appended to `buf`. Without NLM_F_EXCL the kernel
// takes an add of a member that is there, or a delete of one that is not, as done
// (ipset's -exist). The kernel answers a refused change always, a taken one only when
// asked (`ack`).
Status put_change(std::vector<uint8_t> &buf, const BanChange &c, const std::string &set,
                  uint32_t seq, bool ack) {
  alignas(nlmsghdr) uint8_t message[kIpsetRequestBytes];
  const nlmsghdr *h =
      put_ipset_member_request(message, c.op == BanChange::Op::ban ? IPSET_CMD_ADD : IPSET_CMD_DEL,
                               set, c.prefix.address(), static_cast<uint8_t>(c.prefix.length()),
                               static_cast<uint16_t>(NLM_F_REQUEST | (ack ? NLM_F_ACK : 0)), seq);
  if (!h)
    return Error::msg("ipset set name '" + set + "' is too long for a netlink request");
  buf.insert(buf.end(), message, message + NLMSG_ALIGN(h->nlmsg_len));
  return {};
}

} // namespace

Result<IpsetNetlink> IpsetNetlink::open() {
  IpsetNetlink n;
  n.socket_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!n.socket_)
    return Error::sys("netlink socket for ipset");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(n.socket_.get(), reinterpret_cast<sockaddr *>(&local), sizeof local) != 0)
    return Error::sys("bind the ipset netlink socket");
  // Room for a write's answers (root may pass the system's limit); answers without a
  // copy of the refused message.
  int bytes = kReceiveBytes, one = 1;
  if (::setsockopt(n.socket_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
    (void)::setsockopt(n.socket_.get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  (void)::setsockopt(n.socket_.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  return n;
}

Status IpsetNetlink::apply(std::span<const BanChange> changes, const SetOf &set_of) {
  if (seq_ > UINT32_MAX - changes.size())
    seq_ = 0; // a write's sequence numbers must not wrap
  std::vector<uint8_t> buf;
  buf.reserve(kWriteBytes + 512);
  size_t first = 0;
  for (size_t i = 0; i < changes.size(); ++i) {
    const bool last = buf.size() >= kWriteBytes || i + 1 == changes.size();
    if (auto st = put_change(buf, changes[i], set_of(changes[i]), ++seq_, last); !st)
      return st;
    if (last) {
      const auto n = static_cast<uint32_t>(i + 1 - first);
      if (auto st = send_and_wait(buf, seq_ - n + 1, seq_, changes.subspan(first, n)); !st)
        return st;
      buf.clear();
      first = i + 1;
    }
  }
  return {};
}

Status IpsetNetlink::send_and_wait(const std::vector<uint8_t> &messages, uint32_t first_seq,
                                   uint32_t last_seq, std::span<const BanChange> changes) {
  for (size_t off = 0; off < messages.size();) {
    ssize_t n = ::send(socket_.get(), messages.data() + off, messages.size() - off, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Error::sys("send ipset changes over netlink");
    }
    off += static_cast<size_t>(n);
  }
  // The refused changes' answers, then the last message's, in order: the first error is
  // kept, the rest read. A receive buffer that overflowed says ENOBUFS: an error too.
  Status result;
  bool done = false;
  alignas(nlmsghdr) uint8_t reply[32 * 1024];
  while (!done) {
    ssize_t n = ::recv(socket_.get(), reply, sizeof reply, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Error::sys("receive the ipset acknowledgements");
    }
    int len = static_cast<int>(n);
    for (auto *h = reinterpret_cast<nlmsghdr *>(reply); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first_seq || h->nlmsg_seq > last_seq)
        continue;
      done = done || h->nlmsg_seq == last_seq;
      const auto *e =
          reinterpret_cast<const nlmsgerr *>(reinterpret_cast<const uint8_t *>(h) + NLMSG_HDRLEN);
      if (e->error != 0 && result) {
        const BanChange &c = changes[h->nlmsg_seq - first_seq];
        result = Error::sys(std::string(c.op == BanChange::Op::ban ? "add " : "del ") +
                                c.prefix.to_string() + " (" + c.jail + ")",
                            -e->error);
      }
    }
  }
  return result;
}

} // namespace mcf2b
