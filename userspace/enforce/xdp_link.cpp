// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/xdp_link.h"

#include <linux/if_link.h>
#include <net/if.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>

#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b {
namespace {

// The interface a pinned link is attached to, 0 when that interface is gone.
int link_ifindex(int link_fd) {
  bpf_link_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(link_fd, &info, &len) != 0 || info.type != BPF_LINK_TYPE_XDP)
    return 0;
  return static_cast<int>(info.xdp.ifindex);
}

XdpMode attached_mode(int ifindex) {
  LIBBPF_OPTS(bpf_xdp_query_opts, q);
  if (bpf_xdp_query(ifindex, 0, &q) == 0 && q.attach_mode == XDP_ATTACHED_SKB)
    return XdpMode::generic;
  return XdpMode::native;
}

} // namespace

Result<XdpLinkAttachment> attach_pinned_xdp_link(int prog_fd, const std::string &ifname,
                                                 const std::string &pin_path,
                                                 const std::function<void(std::string_view)> &log) {
  int ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
  if (ifindex == 0)
    return Error::sys("no interface " + ifname);

  if (int fd = bpf_obj_get(pin_path.c_str()); fd >= 0) {
    Fd link(fd);
    if (link_ifindex(link.get()) == ifindex) {
      if (bpf_link_update(link.get(), prog_fd, nullptr) != 0)
        return Error::sys("replace the XDP program on " + ifname);
      return XdpLinkAttachment{std::move(link), attached_mode(ifindex), true};
    }
    // The interface was removed (or renamed and another took its name): a stale link.
    ::unlink(pin_path.c_str());
  }

  LIBBPF_OPTS(bpf_link_create_opts, opts);
  opts.flags = XDP_FLAGS_DRV_MODE;
  XdpMode mode = XdpMode::native;
  int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOTSUP)) {
    int native_err = errno;
    opts.flags = XDP_FLAGS_SKB_MODE;
    fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
    if (fd >= 0) {
      mode = XdpMode::generic;
      if (log)
        log("XDP on " + ifname + ": native mode refused (" + Error::sys("", native_err).message() +
            "), running in generic mode");
    }
  }
  if (fd < 0) {
    if (errno == EBUSY || errno == EEXIST)
      return Error::sys("attach XDP to " + ifname + " (another XDP program is attached)");
    return Error::sys("attach XDP to " + ifname);
  }
  Fd link(fd);
  if (bpf_obj_pin(link.get(), pin_path.c_str()) != 0)
    return Error::sys("pin the XDP link of " + ifname + " at " + pin_path);
  return XdpLinkAttachment{std::move(link), mode, false};
}

Status detach_pinned_xdp_link(Fd link, const std::string &pin_path) {
  if (!link) {
    int fd = bpf_obj_get(pin_path.c_str());
    if (fd < 0)
      return Error::sys("no XDP link pinned at " + pin_path);
    link.reset(fd);
  }
  // Detach explicitly: another process may hold the link open.
  if (bpf_link_detach(link.get()) != 0 && errno != ENOLINK)
    return Error::sys("detach the XDP link pinned at " + pin_path);
  if (::unlink(pin_path.c_str()) != 0 && errno != ENOENT)
    return Error::sys("unpin " + pin_path);
  return {};
}

} // namespace mcf2b
