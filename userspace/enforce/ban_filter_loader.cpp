// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/ban_filter_loader.h"

#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <bit>
#include <cerrno>

#include "ban_filter.skel.h"
#include "userspace/enforce/bloom_words.h"

namespace mcf2b {
namespace {

constexpr uint32_t kWhitelistCapacity = 65536;

BpfMapRef ref(const bpf_map *map) {
  return BpfMapRef(bpf_map__fd(map), bpf_map__name(map), bpf_map__key_size(map),
                   bpf_map__value_size(map));
}

Result<MappedBpfArray> mapped(const bpf_map *map) {
  return MappedBpfArray::map(bpf_map__fd(map), bpf_map__name(map));
}

} // namespace

void LoadedBanFilter::SkeletonDeleter::operator()(ban_filter *skeleton) const {
  ban_filter__destroy(skeleton);
}

int LoadedBanFilter::program_fd() const {
  return bpf_program__fd(skeleton->progs.ban_filter);
}

Result<LoadedBanFilter> load_ban_filter(const std::string &pin_root, uint32_t capacity,
                                        const LayoutLog &log) {
  LoadedBanFilter out;
  std::string layout_dir = pinned_layout_dir(pin_root);
  out.layout_dir = layout_dir;
  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = layout_dir.c_str());
  out.skeleton.reset(ban_filter__open_opts(&open_opts));
  if (!out.skeleton)
    return Error::sys("open the ban filter BPF object");
  bpf_object *object = out.skeleton->obj;
  if (::mkdir(layout_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Error::sys("create " + layout_dir);
  if (auto st = move_suffixed_pins_into_layout_dir(object, pin_root, log); !st)
    return st.error();
  auto fixed = set_aside_fixed_host_tables(layout_dir);
  if (!fixed)
    return fixed.error();
  for (const std::string &pin : *fixed) {
    Fd map(bpf_obj_get(pin.c_str()));
    if (!map)
      return Error::sys("open " + pin);
    bool v4 = pin == fixed_host_table_pin(layout_dir, "ban_host4");
    out.fixed_host_tables[v4 ? AddressFamily::v4 : AddressFamily::v6] = std::move(map);
  }
  out.fixed_host_pins = std::move(*fixed);

  // Sizes for the requested capacity; the pinned maps then impose theirs. The per-jail
  // expiry hashes hold the capacity itself, so theirs is the capacity of pinned maps.
  auto &m = out.skeleton->maps;
  for (bpf_map *map : {m.ban_hjail4, m.ban_hjail6})
    bpf_map__set_max_entries(map, capacity);
  // The tries' template keeps max_entries 1: the kernel does not compare max_entries
  // of LPM inner maps, and each slot's trie is created with the capacity (PrefixBans).
  bpf_map__set_max_entries(m.allow4, kWhitelistCapacity);
  bpf_map__set_max_entries(m.allow6, kWhitelistCapacity);
  bpf_map__set_max_entries(m.ban_bloom, BloomWords::words_for_capacity(capacity));
  adopt_pinned_map_sizes(object, layout_dir);
  out.capacity = bpf_map__max_entries(m.ban_hjail4);
  if (out.capacity != capacity && log)
    log("pinned maps under " + pin_root + " hold " + std::to_string(out.capacity) +
        " bans per address family; keeping that capacity instead of " + std::to_string(capacity));
  if (!std::has_single_bit(bpf_map__max_entries(m.ban_bloom)))
    return Error::msg("the Bloom filter pinned under " + layout_dir +
                      " does not hold a power of two of words (an incompatible build?)");
  if (int err = ban_filter__load(out.skeleton.get()); err != 0)
    return Error::sys("load the ban filter (are the maps pinned under " + layout_dir +
                          " from an incompatible build?)",
                      -err);

  for (AddressFamily af : kAddressFamilies) {
    bool v4 = af == AddressFamily::v4;
    out.host_tables[af] = ref(v4 ? m.ban_host4 : m.ban_host6);
    out.host_table_pins[af] = host_table_pin(layout_dir, v4 ? "ban_host4" : "ban_host6");
    out.host_per_jail[af] = ref(v4 ? m.ban_hjail4 : m.ban_hjail6);
    out.prefix_tries[af] = ref(v4 ? m.ban_pfx4 : m.ban_pfx6);
    out.whitelist[af] = ref(v4 ? m.allow4 : m.allow6);
  }
  auto bloom = mapped(m.ban_bloom);
  if (!bloom)
    return bloom.error();
  out.bloom = std::move(*bloom);
  out.jail_ports = ref(m.jail_ports);
  out.jail_slots = ref(m.jail_slots);
  out.config = ref(m.config);
  out.stats = ref(m.stats);
  out.jail_stats = ref(m.jail_stats);
  unpin_older_layouts(object, pin_root, log);
  return out;
}

} // namespace mcf2b
