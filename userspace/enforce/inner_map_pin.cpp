// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/inner_map_pin.h"

#include <unistd.h>

#include <bpf/bpf.h>

#include <cerrno>

namespace mcf2b {
namespace {

// The map's id, 0 when it cannot be read.
uint32_t id_of(int fd) {
  bpf_map_info info{};
  __u32 len = sizeof(info);
  return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0;
}

} // namespace

Result<Fd> open_inner_map(std::initializer_list<std::string> pins, uint32_t id,
                          std::string_view what) {
  for (const std::string &pin : pins) {
    Fd pinned(bpf_obj_get(pin.c_str()));
    if (pinned && id_of(pinned.get()) == id)
      return pinned;
  }
  Fd by_id(bpf_map_get_fd_by_id(id));
  if (!by_id)
    return Error::sys("open " + std::string(what) + ": its pin " + *pins.begin() +
                      " is missing or names another map, and opening it by id needs "
                      "CAP_SYS_ADMIN");
  return by_id;
}

Status pin_map_at(int fd, const std::string &path) {
  if (auto st = unpin_if_pinned(path); !st)
    return st;
  if (bpf_obj_pin(fd, path.c_str()) != 0)
    return Error::sys("pin " + path);
  return {};
}

Status unpin_if_pinned(const std::string &path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Error::sys("unpin " + path);
  return {};
}

} // namespace mcf2b
