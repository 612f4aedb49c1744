// SPDX-License-Identifier: GPL-2.0-only
#include "demo/packet_counter/packet_counter.h"

#include <net/if.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <vector>

#include "packet_counter.skel.h"

namespace mcf2b {

void PacketCounter::SkeletonDeleter::operator()(packet_counter *skel) const {
  packet_counter__destroy(skel);
}
void PacketCounter::LinkDeleter::operator()(bpf_link *link) const { bpf_link__destroy(link); }

Result<PacketCounter> PacketCounter::load() {
  PacketCounter counter;
  counter.skel_.reset(packet_counter__open());
  if (!counter.skel_)
    return Error::sys("open packet_counter BPF object");
  if (int err = packet_counter__load(counter.skel_.get()); err != 0)
    return Error::sys("load packet_counter BPF object", -err);
  return counter;
}

Status PacketCounter::attach(int ifindex) {
  bpf_link *link = bpf_program__attach_xdp(skel_->progs.count_and_pass, ifindex);
  if (!link)
    return Error::sys("attach XDP to ifindex " + std::to_string(ifindex));
  link_.reset(link);
  return {};
}

Status PacketCounter::attach(const char *ifname) {
  unsigned ifindex = ::if_nametoindex(ifname);
  if (ifindex == 0)
    return Error::sys(std::string("no interface ") + ifname);
  return attach(static_cast<int>(ifindex));
}

int PacketCounter::prog_fd() const { return bpf_program__fd(skel_->progs.count_and_pass); }

Result<mcf2b_packet_count> PacketCounter::total() const {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0)
    return Error::sys("count possible CPUs", -ncpu);
  std::vector<mcf2b_packet_count> per_cpu(static_cast<size_t>(ncpu));
  __u32 key = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.packet_counts), &key, per_cpu.data()) != 0)
    return Error::sys("read packet_counts");
  mcf2b_packet_count sum{};
  for (const auto &c : per_cpu) {
    sum.packets += c.packets;
    sum.bytes += c.bytes;
  }
  return sum;
}

} // namespace mcf2b
