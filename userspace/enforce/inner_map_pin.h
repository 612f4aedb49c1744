// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "base/fd.h"
#include "base/result.h"

namespace mcf2b {

// The maps an array of maps holds (the host tables, the prefix tries) are reached from
// userspace by id, and opening a map by id needs CAP_SYS_ADMIN, which the service's unit
// does not grant: a restart under it could not reopen them. Each such map is therefore
// also pinned beside its array, and a restart opens the pin.

// The map the outer slot holds (`id`, read from the slot): the first of `pins` that is
// that map, else (a pin missing or stale) the map opened by id. `what` names it in errors.
Result<Fd> open_inner_map(std::initializer_list<std::string> pins, uint32_t id,
                          std::string_view what);

// Pins `fd` at `path`, replacing what was pinned there.
Status pin_map_at(int fd, const std::string &path);

// Removes the pin at `path` when there is one.
Status unpin_if_pinned(const std::string &path);

} // namespace mcf2b
