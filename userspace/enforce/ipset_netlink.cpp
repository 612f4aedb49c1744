// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/ipset_netlink.h"

#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace mcf2b {
namespace {

// Messages go out in writes of about this size (about 160 changes): the kernel handles
// a write whole, queueing its answers before send() returns, and they must fit the
// socket's receive buffer (kReceiveBytes) even when every change is refused.
constexpr size_t kWriteBytes = 16 * 1024;
constexpr int kReceiveBytes = 1 << 20;

// Appends netlink messages to a buffer attribute by attribute; nests are closed by
// patching their length.
class MessageWriter {
public:
  explicit MessageWriter(std::vector<uint8_t> &buf) : buf_(buf) {}
  void begin(uint16_t type, uint16_t flags, uint32_t seq) {
    start_ = buf_.size();
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
  void end() {
    auto len = static_cast<uint32_t>(buf_.size() - start_);
    std::memcpy(buf_.data() + start_, &len, sizeof len);
  }

private:
  std::vector<uint8_t> &buf_;
  size_t start_ = 0;
};

// IPSET_CMD_ADD or _DEL of one prefix. Without NLM_F_EXCL the kernel takes an add of a
// member that is there, or a delete of one that is not, as done (ipset's -exist). The
// kernel answers a refused change always, a taken one only when asked (`ack`).
void put_change(std::vector<uint8_t> &buf, const BanChange &c, const std::string &set, uint32_t seq,
                bool ack) {
  MessageWriter m(buf);
  const bool v4 = c.prefix.address().is_v4();
  const uint16_t cmd = c.op == BanChange::Op::ban ? IPSET_CMD_ADD : IPSET_CMD_DEL;
  m.begin(static_cast<uint16_t>((NFNL_SUBSYS_IPSET << 8) | cmd),
          static_cast<uint16_t>(NLM_F_REQUEST | (ack ? NLM_F_ACK : 0)), seq);
  nfgenmsg g{};
  g.nfgen_family = v4 ? AF_INET : AF_INET6;
  g.version = NFNETLINK_V0;
  m.put(&g, sizeof g);
  const uint8_t protocol = IPSET_PROTOCOL;
  m.attr(IPSET_ATTR_PROTOCOL, &protocol, 1);
  m.attr(IPSET_ATTR_SETNAME, set.c_str(), set.size() + 1);
  size_t data = m.open_nest(IPSET_ATTR_DATA);
  size_t ip = m.open_nest(IPSET_ATTR_IP);
  if (v4)
    m.attr(IPSET_ATTR_IPADDR_IPV4 | NLA_F_NET_BYTEORDER, c.prefix.address().bytes().data(), 4);
  else
    m.attr(IPSET_ATTR_IPADDR_IPV6 | NLA_F_NET_BYTEORDER, c.prefix.address().bytes().data(), 16);
  m.close_nest(ip);
  const auto cidr = static_cast<uint8_t>(c.prefix.length());
  m.attr(IPSET_ATTR_CIDR, &cidr, 1);
  m.close_nest(data);
  m.end();
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
    put_change(buf, changes[i], set_of(changes[i]), ++seq_, last);
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
