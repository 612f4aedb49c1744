// SPDX-License-Identifier: GPL-2.0-only
#include "bench/daemon_probes/pinned_ban_maps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstring>
#include <vector>

#include "mcf2b_shared.h"

namespace mcf2b::bench {
namespace {

Result<Fd> open_read_only(const std::string &path) {
  LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
  int fd = bpf_obj_get_opts(path.c_str(), &opts);
  if (fd < 0)
    return Error::sys("open pinned map " + path, -fd);
  return Fd(fd);
}

} // namespace

Result<PinnedBanMaps> PinnedBanMaps::open(const std::string &pin_root) {
  PinnedBanMaps m;
  struct Want {
    Fd *fd;
    const char *name;
  };
  for (auto [fd, name] : {Want{&m.slots_, "jail_slots_v1"}, Want{&m.host4_, "ban_host4_v1"},
                          Want{&m.host6_, "ban_host6_v1"}, Want{&m.jail_stats_, "jail_stats_v1"},
                          Want{&m.stats_, "stats_v1"}}) {
    auto opened = open_read_only(pin_root + "/" + name);
    if (!opened)
      return opened.error();
    *fd = std::move(*opened);
  }
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0)
    return Error::sys("count possible CPUs", -cpus);
  m.cpus_ = cpus;
  return m;
}

Result<uint32_t> PinnedBanMaps::slot_of(std::string_view jail) const {
  for (uint32_t slot = 0; slot < MCF2B_MAX_JAILS; ++slot) {
    mcf2b_jail value{};
    if (bpf_map_lookup_elem(slots_.get(), &slot, &value) != 0)
      return Error::sys("read jail_slots_v1");
    if (std::string_view(value.name, strnlen(value.name, sizeof value.name)) == jail)
      return slot;
  }
  return Error::msg("no slot holds jail " + std::string(jail));
}

bool PinnedBanMaps::host_banned(const IpAddress &address, uint32_t slot) const {
  mcf2b_host_value value{};
  int rc = address.is_v4()
               ? bpf_map_lookup_elem(host4_.get(), address.bytes().data(), &value)
               : bpf_map_lookup_elem(host6_.get(), address.bytes().data(), &value);
  return rc == 0 && (value.jails & (1ULL << slot)) != 0;
}

uint64_t PinnedBanMaps::dropped(uint32_t slot) const {
  std::vector<mcf2b_packet_count> per_cpu(static_cast<size_t>(cpus_));
  if (bpf_map_lookup_elem(jail_stats_.get(), &slot, per_cpu.data()) != 0)
    return 0;
  uint64_t sum = 0;
  for (const auto &c : per_cpu)
    sum += c.packets;
  return sum;
}

uint64_t PinnedBanMaps::dropped_total() const {
  std::vector<mcf2b_global_stats> per_cpu(static_cast<size_t>(cpus_));
  uint32_t key = 0;
  if (bpf_map_lookup_elem(stats_.get(), &key, per_cpu.data()) != 0)
    return 0;
  uint64_t sum = 0;
  for (const auto &c : per_cpu)
    sum += c.dropped;
  return sum;
}

} // namespace mcf2b::bench
