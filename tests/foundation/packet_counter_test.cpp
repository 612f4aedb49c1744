// SPDX-License-Identifier: GPL-2.0-only
// The foundation's proof of the BPF chain: the counting XDP program, built with clang,
// wrapped by a bpftool skeleton, loaded from C++, run through BPF_PROG_TEST_RUN and
// attached to a real veth in a network namespace.
#include <linux/bpf.h>
#include <gtest/gtest.h>

#include <array>

#include "demo/packet_counter/packet_counter.h"
#include "tests/fixtures/netns_pair.h"
#include "tests/fixtures/requirements.h"
#include "userspace/enforce/bpf_test_run.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

// Ethernet + IPv4 + UDP to port 25, 60 bytes (minimum frame without FCS).
std::array<uint8_t, 60> udp_packet() {
  std::array<uint8_t, 60> p{};
  const uint8_t header[] = {
      0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,          // Ethernet, IPv4
      0x45, 0, 0, 46, 0, 1, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 1, // IPv4
      0x30, 0x39, 0, 25, 0, 26, 0, 0};                                 // UDP 12345 -> 25
  std::copy(std::begin(header), std::end(header), p.begin());
  return p;
}

TEST(PacketCounter, CountsTestRunPackets) {
  ASSERT_TRUE(require_root());
  auto counter = PacketCounter::load();
  ASSERT_TRUE(ok(counter));
  auto packet = udp_packet();
  auto run = bpf_test_run(counter->prog_fd(), packet, 10);
  ASSERT_TRUE(ok(run));
  EXPECT_EQ(run->verdict, static_cast<uint32_t>(XDP_PASS));
  EXPECT_EQ(run->packet_out.size(), packet.size());
  auto total = counter->total();
  ASSERT_TRUE(ok(total));
  EXPECT_EQ(total->packets, 10u);
  EXPECT_EQ(total->bytes, 10u * packet.size());
}

TEST(PacketCounter, CountsRealPacketsOnAVeth) {
  ASSERT_TRUE(require_root());
  ASSERT_TRUE(require_program("ping"));
  auto pair = NetnsPair::create();
  ASSERT_TRUE(ok(pair));
  auto counter = PacketCounter::load();
  ASSERT_TRUE(ok(counter));
  {
    auto scope = NetnsScope::enter(pair->b().ns);
    ASSERT_TRUE(ok(scope));
    ASSERT_TRUE(ok(counter->attach(pair->b().ifname.c_str())));
  }
  auto ping = NetnsPair::exec(pair->a(), {"ping", "-c", "5", "-i", "0.05", "-W", "2",
                                          pair->b().addr4});
  ASSERT_TRUE(ok(ping));
  EXPECT_EQ(ping->exit_code, 0) << ping->out << ping->err;
  auto total = counter->total();
  ASSERT_TRUE(ok(total));
  // Five echo requests at least (plus ARP and IPv6 neighbour traffic).
  EXPECT_GE(total->packets, 5u);
}

} // namespace
