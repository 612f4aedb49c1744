// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.h"
#include "base/result.h"

struct bpf_object;

namespace mcf2b {

// Where the ban filter's objects live on bpffs, under the pin root (one per host):
//   PIN_ROOT/v2/<map>              this build's maps, in the folder of their layout version
//                                  (MCF2B_PIN_LAYOUT); a new layout gets a new folder
//   PIN_ROOT/xdp_link_<interface>  the XDP link of an interface: beside the layout
//                                  folders, as each new program is swapped into the same
//                                  link, whatever its layout
// Older builds pinned the maps directly under the pin root with the version spelled on
// each name (<map>_v2, and before that <map>_v1).

// Creates the pin root (and its parents) when missing and locks it: one enforcer per pin
// root, for as long as the returned descriptor is open.
Result<Fd> lock_pin_root(const std::string &pin_root);

// PIN_ROOT/v2: the folder libbpf pins this build's maps in.
std::string pinned_layout_dir(std::string_view pin_root);
// PIN_ROOT/xdp_link_<interface>.
std::string xdp_link_pin_path(std::string_view pin_root, std::string_view ifname);

// Before loading an object whose maps are pinned in `layout_dir` (libbpf reuses a pin
// only when the definitions match): gives each of its maps the size of its pinned twin.
// Maps not pinned there keep the size they have.
void adopt_pinned_map_sizes(bpf_object *object, const std::string &layout_dir);

using LayoutLog = std::function<void(std::string_view)>;

// Builds before the host tables grew pinned ban_host4 / ban_host6 as fixed-size mmapable
// arrays, where this build pins an array of tables under the same names. Before loading:
// moves such a pin aside (LAYOUT_DIR/<map>_fixed), so the object pins its own map there.
// Returns the pins set aside, now or by a start that stopped before taking them over,
// for the caller to take their bans over and then unpin.
Result<std::vector<std::string>> set_aside_fixed_host_tables(const std::string &layout_dir);
// The pin a fixed-size host table is set aside as.
std::string fixed_host_table_pin(const std::string &layout_dir, std::string_view map);

// The pins of the maps held by an array of maps (inner_map_pin.h), beside the array:
// LAYOUT_DIR/<map>_table, the host table in use of ban_host4 / ban_host6, and
// LAYOUT_DIR/<map>_<kernel slot>, a jail's prefix trie of ban_pfx4 / ban_pfx6.
std::string host_table_pin(const std::string &layout_dir, std::string_view map);
std::string prefix_trie_pin(const std::string &layout_dir, std::string_view map,
                            unsigned kernel_slot);

// Before loading: moves the pins of the same layout spelled with a suffix
// (PIN_ROOT/<map>_v2, from builds before the layout folder) into the layout folder,
// where the object opened on it will reuse them, bans and all. Logs what it moved.
Status move_suffixed_pins_into_layout_dir(bpf_object *object, const std::string &pin_root,
                                          const LayoutLog &log);

// After a load: unpins the maps of the layout before this one (PIN_ROOT/<map>_v1), so
// they are freed once no program uses them (an attached older program keeps its maps,
// and enforces, until attach() replaces it). Their bans are not carried over: the
// controller restores bans from its store. Logs what it unpinned.
void unpin_older_layouts(bpf_object *object, const std::string &pin_root, const LayoutLog &log);

} // namespace mcf2b
