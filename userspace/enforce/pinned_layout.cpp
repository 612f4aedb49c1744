// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/pinned_layout.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdio>

#include "base/fd.h"
#include "mcf2b_shared.h"

namespace mcf2b {
namespace {

// The layout this build's maps had as name suffixes before the layout folder, and the
// one before it (incompatible: unpinned, never reused).
constexpr const char *kSuffixOfThisLayout = "_v2";
constexpr const char *kSuffixOfOlderLayout = "_v1";

// The maps of the object that are pinned by name (its own maps, not the program's
// private ones), each with its pin path in the layout folder.
template <class Fn> void for_each_pinned_map(bpf_object *object, Fn &&fn) {
  bpf_map *map;
  bpf_object__for_each_map(map, object) {
    if (const char *pin = bpf_map__pin_path(map))
      fn(std::string(bpf_map__name(map)), std::string(pin));
  }
}

bool exists(const std::string &path) {
  return ::access(path.c_str(), F_OK) == 0;
}

// Moves one pin; bpffs renames within one mount. Pinning the object again under the new
// name is the fallback, and leaves the old pin for the caller to unlink.
Status move_pin(const std::string &from, const std::string &to) {
  if (::rename(from.c_str(), to.c_str()) == 0)
    return {};
  int rename_err = errno;
  Fd object(bpf_obj_get(from.c_str()));
  if (!object)
    return Error::sys("move the pin " + from + " to " + to, rename_err);
  if (bpf_obj_pin(object.get(), to.c_str()) != 0)
    return Error::sys("pin " + from + " again as " + to);
  if (::unlink(from.c_str()) != 0)
    return Error::sys("unpin " + from);
  return {};
}

Status make_dirs(const std::string &path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/')
      continue;
    std::string part = path.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
      return Error::sys("create " + part);
  }
  return {};
}

} // namespace

Result<Fd> lock_pin_root(const std::string &pin_root) {
  if (auto st = make_dirs(pin_root); !st)
    return st.error();
  Fd lock(::open(pin_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!lock)
    return Error::sys("open " + pin_root);
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0)
    return Error::sys("lock " + pin_root + " (another enforcer has it open?)");
  return lock;
}

std::string pinned_layout_dir(std::string_view pin_root) {
  return std::string(pin_root) + "/" MCF2B_PIN_LAYOUT;
}

std::string xdp_link_pin_path(std::string_view pin_root, std::string_view ifname) {
  return std::string(pin_root) + "/xdp_link_" + std::string(ifname);
}

void adopt_pinned_map_sizes(bpf_object *object, const std::string &layout_dir) {
  bpf_map *map;
  bpf_object__for_each_map(map, object) {
    Fd pinned(bpf_obj_get((layout_dir + "/" + bpf_map__name(map)).c_str()));
    if (!pinned)
      continue;
    bpf_map_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(pinned.get(), &info, &len) == 0)
      bpf_map__set_max_entries(map, info.max_entries);
  }
}

std::string fixed_host_table_pin(const std::string &layout_dir, std::string_view map) {
  return layout_dir + "/" + std::string(map) + "_fixed";
}

std::string host_table_pin(const std::string &layout_dir, std::string_view map) {
  return layout_dir + "/" + std::string(map) + "_table";
}

std::string prefix_trie_pin(const std::string &layout_dir, std::string_view map,
                            unsigned kernel_slot) {
  return layout_dir + "/" + std::string(map) + "_" + std::to_string(kernel_slot);
}

Result<std::vector<std::string>> set_aside_fixed_host_tables(const std::string &layout_dir) {
  std::vector<std::string> out;
  for (const char *map : {"ban_host4", "ban_host6"}) {
    std::string pin = layout_dir + "/" + map;
    std::string aside = fixed_host_table_pin(layout_dir, map);
    Fd pinned(bpf_obj_get(pin.c_str()));
    bpf_map_info info{};
    __u32 len = sizeof(info);
    if (pinned && bpf_obj_get_info_by_fd(pinned.get(), &info, &len) == 0 &&
        info.type == BPF_MAP_TYPE_ARRAY) {
      // An older build pinned it after an earlier set-aside: its bans are the newer.
      if (exists(aside) && ::unlink(aside.c_str()) != 0)
        return Error::sys("unpin " + aside);
      if (auto st = move_pin(pin, aside); !st)
        return st.error();
    }
    if (exists(aside))
      out.push_back(aside);
  }
  return out;
}

Status move_suffixed_pins_into_layout_dir(bpf_object *object, const std::string &pin_root,
                                          const LayoutLog &log) {
  std::string moved;
  Status failed;
  for_each_pinned_map(object, [&](const std::string &name, const std::string &pin) {
    std::string old_pin = pin_root + "/" + name + kSuffixOfThisLayout;
    if (!failed || !exists(old_pin))
      return;
    if (exists(pin)) {
      // Both: the folder's pin is the one in use since the move; the other is stale.
      if (::unlink(old_pin.c_str()) != 0)
        failed = Error::sys("unpin " + old_pin);
      return;
    }
    if (auto st = move_pin(old_pin, pin); !st) {
      failed = st;
      return;
    }
    moved += (moved.empty() ? "" : ", ") + name + kSuffixOfThisLayout;
  });
  if (!moved.empty() && log)
    log("moved the maps pinned under " + pin_root + " into " + pinned_layout_dir(pin_root) +
        ", bans kept: " + moved);
  return failed;
}

void unpin_older_layouts(bpf_object *object, const std::string &pin_root, const LayoutLog &log) {
  std::string removed;
  for_each_pinned_map(object, [&](const std::string &name, const std::string &) {
    std::string old_name = name + kSuffixOfOlderLayout;
    if (::unlink((pin_root + "/" + old_name).c_str()) == 0)
      removed += (removed.empty() ? "" : ", ") + old_name;
  });
  if (!removed.empty() && log)
    log("unpinned maps of an older layout under " + pin_root + ": " + removed);
}

} // namespace mcf2b
