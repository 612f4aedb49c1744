// SPDX-License-Identifier: GPL-2.0-only
#include "bench/daemon_probes/pinned_ban_maps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <linux/bpf.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "mcf2b_shared.h"

namespace mcf2b::bench {
namespace {

// The pin of `stem` with whatever layout version it carries ("jail_slots" -> jail_slots_v2).
Result<Fd> open_read_only(const std::string &pin_root, const std::string &stem) {
  std::string found;
  std::error_code ec;
  for (const auto &e : std::filesystem::directory_iterator(pin_root, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(stem + "_v", 0) == 0 &&
        name.find_first_not_of("0123456789", stem.size() + 2) == std::string::npos)
      found = e.path().string();
  }
  if (found.empty())
    return Error::msg("no pinned map " + stem + "_v* under " + pin_root);
  LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
  int fd = bpf_obj_get_opts(found.c_str(), &opts);
  if (fd < 0)
    return Error::sys("open pinned map " + found, -fd);
  return Fd(fd);
}

} // namespace

Result<PinnedBanMaps> PinnedBanMaps::open(const std::string &pin_root, const std::string &ifname) {
  PinnedBanMaps m;
  struct Want {
    Fd *fd;
    const char *stem;
  };
  for (auto [fd, stem] : {Want{&m.slots_, "jail_slots"}, Want{&m.jail_stats_, "jail_stats"},
                          Want{&m.stats_, "stats"}}) {
    auto opened = open_read_only(pin_root, stem);
    if (!opened)
      return opened.error();
    *fd = std::move(*opened);
  }
  // The program: the one the interface's pinned link runs.
  std::string link_pin = pin_root + "/xdp_link_" + ifname;
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
  for (uint32_t slot = 0; slot < MCF2B_MAX_JAILS; ++slot) {
    mcf2b_jail value{};
    if (bpf_map_lookup_elem(slots_.get(), &slot, &value) != 0)
      return Error::sys("read the jail slots");
    if (std::string_view(value.name, strnlen(value.name, sizeof value.name)) == jail)
      return slot;
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
