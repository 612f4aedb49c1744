// SPDX-License-Identifier: GPL-2.0-only
#include "bench/daemon_probes/pinned_ban_maps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <linux/bpf.h>

#include <cstring>
#include <vector>

#include "mcf2b_shared.h"
#include "userspace/enforce/pinned_layout.h"

namespace mcf2b::bench {
namespace {

// A map the daemon pinned, by its name in the layout folder (PIN_ROOT/v2/jail_slots).
Result<Fd> open_read_only(const std::string &pin_root, const std::string &name) {
  std::string path = pinned_layout_dir(pin_root) + "/" + name;
  LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
  int fd = bpf_obj_get_opts(path.c_str(), &opts);
  if (fd < 0)
    return Error::sys("open pinned map " + path, -fd);
  return Fd(fd);
}

} // namespace

Result<PinnedBanMaps> PinnedBanMaps::open(const std::string &pin_root, const std::string &ifname) {
  PinnedBanMaps m;
  struct Want {
    Fd *fd;
    const char *name;
  };
  for (auto [fd, name] : {Want{&m.slots_, "jail_slots"}, Want{&m.jail_stats_, "jail_stats"},
                          Want{&m.stats_, "stats"}}) {
    auto opened = open_read_only(pin_root, name);
    if (!opened)
      return opened.error();
    *fd = std::move(*opened);
  }
  // The program: the one the interface's pinned link runs.
  std::string link_pin = xdp_link_pin_path(pin_root, ifname);
  Fd link(bpf_obj_get(link_pin.c_str()));
  if (!link)
    return Error::sys("open the pinned link " + link_pin);
  bpf_link_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(link.get(), &info, &len) != 0)
    return Error::sys("read the link " + link_pin);
  m.program_.reset(bpf_prog_get_fd_by_id(info.prog_id));
  if (!m.program_)
    return Error::sys("open the program of " + link_pin);
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0)
    return Error::sys("count possible CPUs", -cpus);
  m.cpus_ = cpus;
  return m;
}

Result<uint32_t> PinnedBanMaps::slot_of(std::string_view jail) const {
  for (uint32_t kernel_slot = 0; kernel_slot < MCF2B_MAX_JAILS; ++kernel_slot) {
    mcf2b_jail value{};
    if (bpf_map_lookup_elem(slots_.get(), &kernel_slot, &value) != 0)
      return Error::sys("read the jail slots");
    if (std::string_view(value.name, strnlen(value.name, sizeof value.name)) == jail)
      return kernel_slot;
  }
  return Error::msg("no slot holds jail " + std::string(jail));
}

bool PinnedBanMaps::drops(const IpAddress &source, uint16_t port) const {
  // Ethernet + IPv4/IPv6 + UDP, 8 bytes of payload; checksums do not matter to the filter.
  uint8_t packet[14 + 40 + 8 + 8] = {};
  size_t size;
  uint8_t *l4;
  if (source.is_v4()) {
    packet[12] = 0x08, packet[13] = 0x00;
    uint8_t *ip = packet + 14;
    ip[0] = 0x45;
    ip[3] = 20 + 8 + 8;
    ip[8] = 64;
    ip[9] = 17;
    std::memcpy(ip + 12, source.bytes().data(), 4);
    ip[16] = 198, ip[17] = 18, ip[18] = 0, ip[19] = 2;
    l4 = ip + 20;
    size = 14 + 20 + 8 + 8;
  } else {
    packet[12] = 0x86, packet[13] = 0xdd;
    uint8_t *ip = packet + 14;
    ip[0] = 0x60;
    ip[5] = 8 + 8;
    ip[6] = 17;
    ip[7] = 64;
    std::memcpy(ip + 8, source.bytes().data(), 16);
    ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 2;
    l4 = ip + 40;
    size = 14 + 40 + 8 + 8;
  }
  l4[0] = 0x9c, l4[1] = 0x40; // source port 40000
  l4[2] = static_cast<uint8_t>(port >> 8), l4[3] = static_cast<uint8_t>(port);
  l4[5] = 16;
  LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = packet, .data_size_in = static_cast<uint32_t>(size),
              .repeat = 1);
  return bpf_prog_test_run_opts(program_.get(), &run) == 0 && run.retval == XDP_DROP;
}

uint64_t PinnedBanMaps::dropped(uint32_t kernel_slot) const {
  std::vector<mcf2b_packet_count> per_cpu(static_cast<size_t>(cpus_));
  if (bpf_map_lookup_elem(jail_stats_.get(), &kernel_slot, per_cpu.data()) != 0)
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
