// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/fd.h"
#include "base/result.h"

namespace mcf2b {

enum class XdpMode : uint8_t;

struct XdpLinkAttachment {
  Fd link;
  XdpMode mode;
  bool replaced = false; // an existing pinned link now runs the new program
};

// Puts `prog_fd` on interface `ifname` (caller's network namespace) through a bpf_link
// pinned at `pin_path`. When a live link is pinned there already, its program is swapped
// with BPF_LINK_UPDATE: one atomic pointer change, no packet sees the interface without a
// program. Otherwise a new link: native mode first, generic mode as the logged fallback.
Result<XdpLinkAttachment> attach_pinned_xdp_link(int prog_fd, const std::string &ifname,
                                                 const std::string &pin_path,
                                                 const std::function<void(std::string_view)> &log);

// Unpins the link and detaches it (closing `link` if it is still open).
Status detach_pinned_xdp_link(Fd link, const std::string &pin_path);

} // namespace mcf2b
