// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/config_word.h"

#include <cstring>

#include "userspace/enforce/shared_structs.h"

namespace mcf2b {

Status ConfigWord::read() {
  uint32_t zero = 0;
  if (auto r = map_.lookup(&zero, &value_); !r)
    return r.error();
  return {};
}

Status ConfigWord::write() const {
  uint32_t zero = 0;
  return map_.update(&zero, &value_);
}

__u64 mcf2b_config::*ConfigWord::host_jails(AddressFamily af) {
  return af == AddressFamily::v4 ? &mcf2b_config::host_jails4 : &mcf2b_config::host_jails6;
}

__u64 mcf2b_config::*ConfigWord::prefix_jails(AddressFamily af) {
  return af == AddressFamily::v4 ? &mcf2b_config::prefix_jails4 : &mcf2b_config::prefix_jails6;
}

Status ConfigWord::announce(__u64 mcf2b_config::*mask, JailSlot kernel_slot) {
  if (value_.*mask & jail_bit(kernel_slot))
    return {};
  value_.*mask |= jail_bit(kernel_slot);
  return write();
}

Status ConfigWord::set_ban_masks(const PerAddressFamily<uint64_t> &host_jails_of,
                                 const PerAddressFamily<uint64_t> &prefix_jails_of) {
  mcf2b_config next = value_;
  for (AddressFamily af : kAddressFamilies) {
    next.*host_jails(af) = host_jails_of[af];
    next.*prefix_jails(af) = prefix_jails_of[af];
  }
  if (std::memcmp(&next, &value_, sizeof(next)) == 0)
    return {};
  value_ = next;
  return write();
}

Error MapFullCount::refused(const Error &e, const std::string &what) {
  ++count_;
  return Error{what + " is full (capacity " + std::to_string(capacity_) + "; " + e.what + ")",
               e.code};
}

Status MapFullCount::checked(Status st, const std::string &what) {
  if (st || !is_map_full(st.error()))
    return st;
  return refused(st.error(), what);
}

} // namespace mcf2b
