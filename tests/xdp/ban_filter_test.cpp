// SPDX-License-Identifier: GPL-2.0-only
// The ban filter through BPF_PROG_TEST_RUN: packets built in C++ against maps filled by
// XdpEnforcer, each test in its own bpffs pin folder.
#include <linux/bpf.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <bpf/bpf.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <set>
#include <thread>

#include "tests/fixtures/pin_dir_fixture.h"
#include "tests/fixtures/requirements.h"
#include "tests/xdp/test_packet.h"
#include "userspace/enforce/bloom_words.h"
#include "userspace/enforce/bpf_test_run.h"
#include "userspace/enforce/host_table.h"
#include "userspace/enforce/tai_clock.h"
#include "userspace/enforce/xdp_enforcer.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

IpPrefix P(const char *text) { return IpPrefix::parse(text).value(); }

class BanFilter : public PinDirTest {
protected:
  void SetUp() override {
    PinDirTest::SetUp();
    if (HasFatalFailure())
      return;
    auto e = XdpEnforcer::open({pins_->path() + "/mcf2b", 4096, {}});
    ASSERT_TRUE(ok(e));
    enforcer_.emplace(std::move(*e));
    ASSERT_TRUE(ok(enforcer_->set_jail("mc-exim-1d", JailPorts::from_list({25, 465, 587}))));
    ASSERT_TRUE(ok(enforcer_->set_jail("mc-ssh-1d", JailPorts::from_list({22}))));
    ASSERT_TRUE(ok(enforcer_->set_jail("mc-all", JailPorts::all_ports())));
  }

  uint32_t run(const TestPacket &p) { return run(p.build()); }
  uint32_t run(const std::vector<uint8_t> &frame) {
    auto r = bpf_test_run(enforcer_->program_fd(), frame);
    EXPECT_TRUE(ok(r));
    return r ? r->verdict : 0xffffffffu;
  }
  bool dropped(const TestPacket &p) { return run(p) == XDP_DROP; }

  static TestPacket pkt(const char *src, uint16_t dport, uint8_t proto = 6) {
    TestPacket p;
    p.src = src;
    p.dst = std::string(src).find(':') != std::string::npos ? "2001:db8::1" : "198.51.100.1";
    p.dport = dport;
    p.proto = proto;
    return p;
  }

  JailCounters jail_counters(const std::string &jail) {
    auto c = enforcer_->counters();
    EXPECT_TRUE(ok(c));
    for (const auto &j : c->jails)
      if (j.jail == jail)
        return j;
    return {};
  }

  std::optional<XdpEnforcer> enforcer_;
};

TEST_F(BanFilter, Ipv4PortInAndOutOfJail) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("192.0.2.10"), 0)));
  EXPECT_TRUE(dropped(pkt("192.0.2.10", 25)));
  EXPECT_TRUE(dropped(pkt("192.0.2.10", 587, 17)));
  EXPECT_TRUE(dropped(pkt("192.0.2.10", 465, 132)));
  EXPECT_FALSE(dropped(pkt("192.0.2.10", 22)));
  EXPECT_FALSE(dropped(pkt("192.0.2.10", 0, 1))); // ICMP: no port, port-scoped jail
  EXPECT_FALSE(dropped(pkt("192.0.2.11", 25)));
}

TEST_F(BanFilter, Ipv6PortInAndOutOfJail) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-ssh-1d", P("2001:db8:5::7"), 0)));
  EXPECT_TRUE(dropped(pkt("2001:db8:5::7", 22)));
  EXPECT_FALSE(dropped(pkt("2001:db8:5::7", 25)));
  EXPECT_FALSE(dropped(pkt("2001:db8:5::8", 22)));
}

TEST_F(BanFilter, AllPortsJailDropsEveryPortAndProtocol) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-all", P("192.0.2.20"), 0)));
  EXPECT_TRUE(dropped(pkt("192.0.2.20", 25)));
  EXPECT_TRUE(dropped(pkt("192.0.2.20", 8080)));
  EXPECT_TRUE(dropped(pkt("192.0.2.20", 53, 17)));
  EXPECT_TRUE(dropped(pkt("192.0.2.20", 0, 1)));
}

TEST_F(BanFilter, VlanTags) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("192.0.2.30"), 0)));
  auto p = pkt("192.0.2.30", 25);
  p.vlans = {100};
  EXPECT_TRUE(dropped(p));
  p.vlans = {100, 200};
  EXPECT_TRUE(dropped(p));
  p.vlans = {100, 200, 300}; // beyond two tags we do not parse: passed
  EXPECT_FALSE(dropped(p));
  auto v6 = pkt("2001:db8::30", 25);
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("2001:db8::30"), 0)));
  v6.vlans = {7, 8};
  EXPECT_TRUE(dropped(v6));
}

TEST_F(BanFilter, Ipv4Options) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("192.0.2.40"), 0)));
  auto p = pkt("192.0.2.40", 25);
  p.ipv4_option_words = 10; // ihl 15, the maximum
  EXPECT_TRUE(dropped(p));
  p.dport = 22;
  EXPECT_FALSE(dropped(p));
}

TEST_F(BanFilter, Ipv6ExtensionHeaders) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("2001:db8::40"), 0)));
  auto p = pkt("2001:db8::40", 25);
  p.ipv6_ext = {0, 60, 43, 51}; // hop-by-hop, destination options, routing, AH
  EXPECT_TRUE(dropped(p));
  p.dport = 22;
  EXPECT_FALSE(dropped(p));
  // More extension headers than the bounded walk: no port found, so any jail applies.
  auto deep = pkt("2001:db8::40", 22);
  deep.ipv6_ext = {60, 60, 60, 60, 60, 60, 60};
  EXPECT_TRUE(dropped(deep));
  deep.src = "2001:db8::41";
  EXPECT_FALSE(dropped(deep));
}

// Six extension headers, the most the walk takes, then the transport header: the port is
// in sight and decides. The walk used to stop one header short and let every jail apply
// (found by fuzz/xdp_parser; kept in fuzz/regressions/xdp_parser).
TEST_F(BanFilter, Ipv6PortRightAfterTheLongestWalkedChain) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("2001:db8::42"), 0)));
  auto p = pkt("2001:db8::42", 22);
  p.ipv6_ext = {0, 60, 43, 60, 51, 60};
  EXPECT_FALSE(dropped(p));
  p.dport = 25;
  EXPECT_TRUE(dropped(p));
  // Five and a first fragment's header: six as well.
  auto first = pkt("2001:db8::42", 22);
  first.ipv6_ext = {0, 60, 60, 60, 60};
  first.fragment = true;
  first.more_fragments = true;
  EXPECT_FALSE(dropped(first));
  first.dport = 587;
  EXPECT_TRUE(dropped(first));
}

TEST_F(BanFilter, FragmentsOfABannedSourceDropInAnyJail) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("192.0.2.50"), 0)));
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("2001:db8::50"), 0)));
  auto v4 = pkt("192.0.2.50", 22); // the port is not visible in a later fragment
  v4.fragment = true;
  v4.fragment_offset = 185;
  EXPECT_TRUE(dropped(v4));
  v4.src = "192.0.2.51";
  EXPECT_FALSE(dropped(v4));
  // First fragment: the port is there and decides.
  auto first = pkt("192.0.2.50", 22);
  first.fragment = true;
  first.more_fragments = true;
  EXPECT_FALSE(dropped(first));
  first.dport = 25;
  EXPECT_TRUE(dropped(first));
  // A first fragment too short to show the port counts as a fragment.
  auto tiny = pkt("192.0.2.50", 22);
  tiny.fragment = true;
  tiny.more_fragments = true;
  tiny.truncate_to = 14 + 20 + 2;
  EXPECT_TRUE(dropped(tiny));

  auto v6 = pkt("2001:db8::50", 22);
  v6.fragment = true;
  v6.fragment_offset = 100;
  EXPECT_TRUE(dropped(v6));
  v6.src = "2001:db8::51";
  EXPECT_FALSE(dropped(v6));
  auto v6first = pkt("2001:db8::50", 25);
  v6first.fragment = true;
  v6first.more_fragments = true;
  EXPECT_TRUE(dropped(v6first));
  v6first.dport = 22;
  EXPECT_FALSE(dropped(v6first));
}

TEST_F(BanFilter, TruncatedAndNonIpPassAndAreCounted) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-all", P("192.0.2.60"), 0)));
  auto before = enforcer_->counters();
  ASSERT_TRUE(ok(before));
  auto p = pkt("192.0.2.60", 25);
  // Test runs refuse frames shorter than Ethernet; cut right after it and inside IPv4.
  for (size_t cut : {14u, 14u + 12u, 14u + 19u}) {
    p.truncate_to = cut;
    EXPECT_EQ(run(p), static_cast<uint32_t>(XDP_PASS)) << "cut at " << cut;
  }
  auto tcp_cut = pkt("192.0.2.61", 25);
  tcp_cut.truncate_to = 14 + 20 + 3; // ports cut in half, not a fragment
  EXPECT_EQ(run(tcp_cut), static_cast<uint32_t>(XDP_PASS));
  auto v6 = pkt("2001:db8::60", 25);
  v6.truncate_to = 14 + 30;
  EXPECT_EQ(run(v6), static_cast<uint32_t>(XDP_PASS));
  auto vlan_cut = pkt("192.0.2.60", 25);
  vlan_cut.vlans = {5, 6};
  vlan_cut.truncate_to = 14 + 6;
  EXPECT_EQ(run(vlan_cut), static_cast<uint32_t>(XDP_PASS));
  auto after_bad = enforcer_->counters();
  ASSERT_TRUE(ok(after_bad));
  EXPECT_EQ(after_bad->unparsable - before->unparsable, 6u);

  EXPECT_EQ(run(arp_frame()), static_cast<uint32_t>(XDP_PASS));
  auto after = enforcer_->counters();
  ASSERT_TRUE(ok(after));
  EXPECT_EQ(after->unparsable, after_bad->unparsable); // non-IP is not malformed
  EXPECT_EQ(after->passed - before->passed, 7u);
}

TEST_F(BanFilter, OverlappingPrefixesAcrossJails) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("203.0.113.0/24"), 0)));
  ASSERT_TRUE(ok(enforcer_->ban("mc-ssh-1d", P("203.0.113.128/25"), 0)));
  ASSERT_TRUE(ok(enforcer_->ban("mc-ssh-1d", P("203.0.113.5"), 0)));
  EXPECT_TRUE(dropped(pkt("203.0.113.130", 25)));
  EXPECT_TRUE(dropped(pkt("203.0.113.130", 22)));
  EXPECT_TRUE(dropped(pkt("203.0.113.5", 25)));  // the /24 in exim
  EXPECT_TRUE(dropped(pkt("203.0.113.5", 22)));  // the host in ssh
  EXPECT_FALSE(dropped(pkt("203.0.113.6", 22))); // below the /25
  EXPECT_FALSE(dropped(pkt("203.0.114.1", 25)));
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("2001:db8:77::/48"), 0)));
  EXPECT_TRUE(dropped(pkt("2001:db8:77:1::9", 25)));
  EXPECT_FALSE(dropped(pkt("2001:db8:78::9", 25)));
}

TEST_F(BanFilter, NestedPrefixesInOneJailKeepTheLongestLivedBan) {
  Seconds past = unix_now() - 60;
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("198.51.0.0/16"), 0)));
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("198.51.100.0/24"), past)));
  // The /24 has expired but lies inside the permanent /16.
  EXPECT_TRUE(dropped(pkt("198.51.100.9", 25)));
  ASSERT_TRUE(ok(enforcer_->unban("mc-exim-1d", P("198.51.0.0/16"))));
  EXPECT_FALSE(dropped(pkt("198.51.100.9", 25)));
}

TEST_F(BanFilter, WhitelistWinsOverBan) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("198.51.100.7"), 0)));
  ASSERT_TRUE(ok(enforcer_->ban("mc-ssh-1d", P("198.51.100.7"), 0)));
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("198.51.100.0/24"), 0)));
  EXPECT_TRUE(dropped(pkt("198.51.100.7", 25)));
  ASSERT_TRUE(ok(enforcer_->whitelist_add(P("198.51.100.0/28"), "mc-exim-1d")));
  EXPECT_FALSE(dropped(pkt("198.51.100.7", 25))); // whitelisted for exim
  EXPECT_TRUE(dropped(pkt("198.51.100.7", 22)));  // not for ssh
  EXPECT_TRUE(dropped(pkt("198.51.100.99", 25))); // outside the /28
  ASSERT_TRUE(ok(enforcer_->whitelist_add(P("198.51.100.0/24"))));
  // The global /24 covers the jail /28: both hold for an address in the /28.
  EXPECT_FALSE(dropped(pkt("198.51.100.7", 22)));
  EXPECT_FALSE(dropped(pkt("198.51.100.99", 25)));
  ASSERT_TRUE(ok(enforcer_->whitelist_remove(P("198.51.100.0/24"))));
  EXPECT_TRUE(dropped(pkt("198.51.100.7", 22)));
  EXPECT_FALSE(dropped(pkt("198.51.100.7", 25)));
  auto wl = enforcer_->whitelist();
  ASSERT_EQ(wl.size(), 1u);
  EXPECT_EQ(wl[0].jails, std::vector<std::string>{"mc-exim-1d"});
}

// The program skips the whitelist of a family while it is empty: a flag in the config
// that must follow the entries both ways.
TEST_F(BanFilter, WhitelistOfOneFamilyLeavesTheOtherAndEmptyingItRestoresBans) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("192.0.2.60"), 0)));
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("2001:db8::60"), 0)));
  ASSERT_TRUE(ok(enforcer_->whitelist_add(P("2001:db8::/64"))));
  EXPECT_TRUE(dropped(pkt("192.0.2.60", 25)));
  EXPECT_FALSE(dropped(pkt("2001:db8::60", 25)));
  ASSERT_TRUE(ok(enforcer_->whitelist_add(P("192.0.2.60"), "mc-exim-1d")));
  EXPECT_FALSE(dropped(pkt("192.0.2.60", 25)));
  ASSERT_TRUE(ok(enforcer_->whitelist_remove(P("192.0.2.60"), "mc-exim-1d")));
  EXPECT_TRUE(dropped(pkt("192.0.2.60", 25)));
  EXPECT_FALSE(dropped(pkt("2001:db8::60", 25)));
  ASSERT_TRUE(ok(enforcer_->whitelist_remove(P("2001:db8::/64"))));
  EXPECT_TRUE(dropped(pkt("2001:db8::60", 25)));
}

TEST_F(BanFilter, ExpiredVersusLiveBans) {
  Seconds now = unix_now();
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("192.0.2.70"), now - 10)));
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("192.0.2.71"), now + 3600)));
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("2001:db8::70"), now - 10)));
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("192.0.2.128/25"), now - 10)));
  EXPECT_FALSE(dropped(pkt("192.0.2.70", 25)));
  EXPECT_TRUE(dropped(pkt("192.0.2.71", 25)));
  EXPECT_FALSE(dropped(pkt("2001:db8::70", 25)));
  EXPECT_FALSE(dropped(pkt("192.0.2.200", 25)));

  // One address, two jails: the expired one no longer applies, the live one does.
  ASSERT_TRUE(ok(enforcer_->ban("mc-ssh-1d", P("192.0.2.72"), now - 10)));
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("192.0.2.72"), now + 3600)));
  EXPECT_FALSE(dropped(pkt("192.0.2.72", 22)));
  EXPECT_TRUE(dropped(pkt("192.0.2.72", 25)));
  auto c = enforcer_->counters();
  ASSERT_TRUE(ok(c));
  EXPECT_GT(c->slow_path, 0u);

  auto swept = enforcer_->sweep_expired(now);
  ASSERT_TRUE(ok(swept));
  EXPECT_EQ(swept->size(), 4u);
  auto left = enforcer_->list_bans("mc-exim-1d");
  ASSERT_TRUE(ok(left));
  std::vector<std::string> texts;
  for (const auto &b : *left)
    texts.push_back(b.prefix.to_string());
  std::sort(texts.begin(), texts.end());
  EXPECT_EQ(texts, (std::vector<std::string>{"192.0.2.71", "192.0.2.72"}));
  EXPECT_TRUE(dropped(pkt("192.0.2.72", 25)));
}

TEST_F(BanFilter, Ipv4MappedIpv6SourceIsTheIpv4Address) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("192.0.2.80"), 0)));
  EXPECT_TRUE(dropped(pkt("::ffff:192.0.2.80", 25)));
  EXPECT_FALSE(dropped(pkt("::ffff:192.0.2.81", 25)));
  ASSERT_TRUE(ok(enforcer_->ban("mc-ssh-1d", P("198.51.100.0/24"), 0)));
  EXPECT_TRUE(dropped(pkt("::ffff:198.51.100.3", 22)));
}

TEST_F(BanFilter, PerJailCountersCountDrops) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-ssh-1d", P("192.0.2.90"), 0)));
  auto p = pkt("192.0.2.90", 22);
  auto frame = p.build();
  auto r = bpf_test_run(enforcer_->program_fd(), frame, 5);
  ASSERT_TRUE(ok(r));
  EXPECT_EQ(r->verdict, static_cast<uint32_t>(XDP_DROP));
  auto ssh = jail_counters("mc-ssh-1d");
  EXPECT_EQ(ssh.packets, 5u);
  EXPECT_EQ(ssh.bytes, 5u * frame.size());
  EXPECT_EQ(jail_counters("mc-exim-1d").packets, 0u);
}

TEST_F(BanFilter, PortChangesTakeEffect) {
  ASSERT_TRUE(ok(enforcer_->ban("mc-exim-1d", P("192.0.2.95"), 0)));
  EXPECT_FALSE(dropped(pkt("192.0.2.95", 2525)));
  ASSERT_TRUE(ok(enforcer_->set_jail("mc-exim-1d", JailPorts::from_list({2525}))));
  EXPECT_TRUE(dropped(pkt("192.0.2.95", 2525)));
  EXPECT_FALSE(dropped(pkt("192.0.2.95", 25)));
  ASSERT_TRUE(ok(enforcer_->remove_jail("mc-exim-1d")));
  EXPECT_FALSE(dropped(pkt("192.0.2.95", 2525)));
  EXPECT_FALSE(enforcer_->slot_of("mc-exim-1d").has_value());
}

TEST(BanFilterCapacity, FullMapIsAnErrorAndKeepsOtherBans) {
  ASSERT_TRUE(require_root());
  auto pins = BpffsPinDir::create();
  ASSERT_TRUE(ok(pins));
  auto e = XdpEnforcer::open({pins->path() + "/mcf2b", 8, {}});
  ASSERT_TRUE(ok(e));
  ASSERT_TRUE(ok(e->set_jail("mc-exim-1d", JailPorts::from_list({25}))));
  std::vector<BanChange> bans;
  for (int i = 1; i <= 12; ++i)
    bans.push_back(BanChange::ban("mc-exim-1d", P(("192.0.2." + std::to_string(i)).c_str()), 0));
  auto report = e->apply(bans);
  EXPECT_EQ(report.applied, 8u);
  ASSERT_EQ(report.failed.size(), 4u);
  EXPECT_NE(report.failed[0].second.what.find("full"), std::string::npos);
  auto c = e->counters();
  ASSERT_TRUE(ok(c));
  EXPECT_EQ(c->map_full, 4u);
  TestPacket p;
  p.src = "192.0.2.3";
  auto r = bpf_test_run(e->program_fd(), p.build());
  ASSERT_TRUE(ok(r));
  EXPECT_EQ(r->verdict, static_cast<uint32_t>(XDP_DROP));
  p.src = "192.0.2.12";
  r = bpf_test_run(e->program_fd(), p.build());
  ASSERT_TRUE(ok(r));
  EXPECT_EQ(r->verdict, static_cast<uint32_t>(XDP_PASS));
  auto listed = e->list_bans("mc-exim-1d");
  ASSERT_TRUE(ok(listed));
  EXPECT_EQ(listed->size(), 8u);
}

// The host tables filled to capacity, addresses moved between buckets to make room on the
// way: the program finds every one, in the jails it was banned in.
TEST(BanFilterCapacity, EveryHostBanOfAFullTableDrops) {
  ASSERT_TRUE(require_root());
  auto pins = BpffsPinDir::create();
  ASSERT_TRUE(ok(pins));
  constexpr uint32_t kCapacity = 3000;
  auto e = XdpEnforcer::open({pins->path() + "/mcf2b", kCapacity, {}});
  ASSERT_TRUE(ok(e));
  ASSERT_TRUE(ok(e->set_jail("mc-exim-1d", JailPorts::from_list({25}))));
  ASSERT_TRUE(ok(e->set_jail("mc-ssh-1d", JailPorts::from_list({22}))));
  std::vector<IpAddress> v4, v6;
  std::vector<BanChange> bans;
  for (uint32_t i = 0; i < kCapacity; ++i) {
    v4.push_back(IpAddress::v4(0xC6120000u + i * 37)); // in 198.18.0.0/15
    char text[48];
    std::snprintf(text, sizeof(text), "2001:db8:%x::%x:1", i % 7, i);
    v6.push_back(IpAddress::parse(text).value());
    for (const auto &a : {v4.back(), v6.back()})
      bans.push_back(BanChange::ban(i % 3 ? "mc-exim-1d" : "mc-ssh-1d", IpPrefix::host(a), 0));
  }
  auto report = e->apply(bans);
  ASSERT_TRUE(report.ok()) << report.failed.front().second.message();
  auto more = e->ban("mc-exim-1d", P("203.0.113.1"), 0);
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.error().what.find("full"), std::string::npos);
  auto verdict = [&](const IpAddress &a, uint16_t port) {
    TestPacket p;
    p.src = a.to_string();
    p.dst = a.is_v4() ? "198.51.100.1" : "2001:db8:ffff::1";
    p.dport = port;
    auto r = bpf_test_run(e->program_fd(), p.build());
    return r ? r->verdict : 0xffffffffu;
  };
  for (uint32_t i = 0; i < kCapacity; ++i) {
    uint16_t banned_port = i % 3 ? 25 : 22, other_port = i % 3 ? 22 : 25;
    for (const auto &a : {v4[i], v6[i]}) {
      ASSERT_EQ(verdict(a, banned_port), static_cast<uint32_t>(XDP_DROP)) << a.to_string();
      ASSERT_EQ(verdict(a, other_port), static_cast<uint32_t>(XDP_PASS)) << a.to_string();
    }
  }
  // Unban every other address: those pass, the rest still drop.
  std::vector<BanChange> unbans;
  for (uint32_t i = 0; i < kCapacity; i += 2)
    for (const auto &a : {v4[i], v6[i]})
      unbans.push_back(BanChange::unban(i % 3 ? "mc-exim-1d" : "mc-ssh-1d", IpPrefix::host(a)));
  ASSERT_TRUE(e->apply(unbans).ok());
  for (uint32_t i = 0; i < kCapacity; ++i) {
    uint16_t port = i % 3 ? 25 : 22;
    for (const auto &a : {v4[i], v6[i]})
      ASSERT_EQ(verdict(a, port), static_cast<uint32_t>(i % 2 ? XDP_DROP : XDP_PASS))
          << a.to_string();
  }
  auto listed = e->list_bans("mc-exim-1d");
  ASSERT_TRUE(ok(listed));
  EXPECT_EQ(listed->size(), 2u * (kCapacity / 2 - kCapacity / 6));
}

// Userspace rewrites the host table while the program reads it: addresses it moves to make
// room for others must stay findable at every moment. A second thread runs the program
// (many repeats per call) on a few addresses banned throughout, while addresses sharing
// their buckets are banned and unbanned over and over, which moves them between their two
// buckets; the program's own counters must show no pass.
TEST(BanFilterCapacity, BansHoldWhileTheTableIsRewrittenAroundThem) {
  ASSERT_TRUE(require_root());
  auto pins = BpffsPinDir::create();
  ASSERT_TRUE(ok(pins));
  constexpr uint32_t kCapacity = 256;
  auto e = XdpEnforcer::open({pins->path() + "/mcf2b", kCapacity, {}});
  ASSERT_TRUE(ok(e));
  ASSERT_TRUE(ok(e->set_jail("mc-exim-1d", JailPorts::from_list({25}))));
  uint32_t buckets = HostTable::buckets_for(true, kCapacity);
  auto buckets_of = [&](const IpAddress &a) {
    uint64_t h = mcf2b_bucket_hash(BloomWords::hash(a));
    return std::pair(mcf2b_bucket_index(static_cast<uint32_t>(h), buckets),
                     mcf2b_bucket_index(static_cast<uint32_t>(h >> 32), buckets));
  };
  // Four watched addresses; neighbours have both their buckets among the watched ones',
  // and fill those buckets but for two slots, so most bans of a neighbour move someone.
  std::vector<IpAddress> watched, neighbours;
  std::set<uint32_t> hot;
  for (uint32_t i = 0; watched.size() < 4; ++i) {
    IpAddress a = IpAddress::v4(0xC6120000u + i * 97);
    auto [x, y] = buckets_of(a);
    if (x == y || hot.count(x) || hot.count(y))
      continue;
    watched.push_back(a);
    hot.insert(x);
    hot.insert(y);
  }
  size_t room = hot.size() * MCF2B_HOST4_SLOTS - watched.size() - 2;
  for (uint32_t i = 1; neighbours.size() < room; ++i) {
    IpAddress a = IpAddress::v4(0xC6130000u + i);
    auto [x, y] = buckets_of(a);
    if (x != y && hot.count(x) && hot.count(y))
      neighbours.push_back(a);
  }
  std::vector<BanChange> bans;
  for (const auto &a : watched)
    bans.push_back(BanChange::ban("mc-exim-1d", IpPrefix::host(a), 0));
  ASSERT_TRUE(e->apply(bans).ok());
  std::vector<std::vector<uint8_t>> frames;
  for (const auto &a : watched) {
    TestPacket p;
    p.src = a.to_string();
    frames.push_back(p.build());
  }
  // The writer churns until the reader has made its calls: a count, not a time.
  constexpr uint64_t kCalls = 24;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> calls{0};
  std::thread reader([&] {
    for (size_t n = 0; !done.load(); ++n) {
      (void)bpf_test_run(e->program_fd(), frames[n % frames.size()], 1u << 16);
      calls.fetch_add(1);
    }
  });
  bool applied = true;
  for (uint64_t round = 0; calls.load() < kCalls && applied && round < 100'000'000; ++round) {
    std::vector<BanChange> churn;
    for (const auto &a : neighbours)
      churn.push_back(BanChange::ban("mc-exim-1d", IpPrefix::host(a), 0));
    for (const auto &a : neighbours)
      churn.push_back(BanChange::unban("mc-exim-1d", IpPrefix::host(a)));
    applied = e->apply(churn).ok();
  }
  done = true;
  reader.join();
  ASSERT_TRUE(applied);
  auto c = e->counters();
  ASSERT_TRUE(ok(c));
  EXPECT_GT(c->dropped, 0u);
  EXPECT_EQ(c->passed, 0u) << "of " << c->dropped + c->passed
                           << " runs on addresses banned throughout";
}

TEST(BanFilterRestart, ReopenKeepsSlotsBansAndWhitelist) {
  ASSERT_TRUE(require_root());
  auto pins = BpffsPinDir::create();
  ASSERT_TRUE(ok(pins));
  std::string root = pins->path() + "/mcf2b";
  Seconds expiry = unix_now() + 86400;
  {
    auto e = XdpEnforcer::open({root, 1024, {}});
    ASSERT_TRUE(ok(e));
    ASSERT_TRUE(ok(e->set_jail("mc-ssh-1d", JailPorts::from_list({22}))));
    ASSERT_TRUE(ok(e->set_jail("mc-exim-1d", JailPorts::from_list({25, 465}))));
    ASSERT_TRUE(ok(e->ban("mc-exim-1d", P("192.0.2.5"), expiry)));
    ASSERT_TRUE(ok(e->ban("mc-exim-1d", P("2001:db8::/64"), 0)));
    ASSERT_TRUE(ok(e->whitelist_add(P("192.0.2.128/25"))));
    // A second enforcer on the same pins is refused while this one lives.
    auto second = XdpEnforcer::open({root, 1024, {}});
    EXPECT_FALSE(second.ok());
  }
  auto e = XdpEnforcer::open({root, 1 << 16, {}}); // the pinned capacity wins
  ASSERT_TRUE(ok(e));
  EXPECT_EQ(e->capacity(), 1024u);
  EXPECT_EQ(e->slot_of("mc-ssh-1d"), std::optional<JailSlot>(0));
  EXPECT_EQ(e->slot_of("mc-exim-1d"), std::optional<JailSlot>(1));
  auto jails = e->jails();
  ASSERT_EQ(jails.size(), 2u);
  EXPECT_EQ(jails[1].ports.ports, (std::vector<uint16_t>{25, 465}));
  auto bans = e->list_bans("mc-exim-1d");
  ASSERT_TRUE(ok(bans));
  ASSERT_EQ(bans->size(), 2u);
  EXPECT_NE(std::find(bans->begin(), bans->end(),
                      EnforcedBan{"mc-exim-1d", P("192.0.2.5"), expiry}),
            bans->end());
  EXPECT_EQ(e->whitelist().size(), 1u);
  TestPacket p;
  p.src = "192.0.2.5";
  auto r = bpf_test_run(e->program_fd(), p.build());
  ASSERT_TRUE(ok(r));
  EXPECT_EQ(r->verdict, static_cast<uint32_t>(XDP_DROP));
  // The Bloom filter was rebuilt: unbanning clears the address.
  ASSERT_TRUE(ok(e->unban("mc-exim-1d", P("192.0.2.5"))));
  r = bpf_test_run(e->program_fd(), p.build());
  ASSERT_TRUE(ok(r));
  EXPECT_EQ(r->verdict, static_cast<uint32_t>(XDP_PASS));
}

// Maps pinned by a build of the previous layout are unpinned, never reused.
TEST(BanFilterRestart, OpenUnpinsMapsOfTheOlderLayout) {
  ASSERT_TRUE(require_root());
  auto pins = BpffsPinDir::create();
  ASSERT_TRUE(ok(pins));
  std::string root = pins->path() + "/mcf2b";
  ASSERT_EQ(::mkdir(root.c_str(), 0700), 0);
  int old_config = bpf_map_create(BPF_MAP_TYPE_ARRAY, "config_v1", 4, 56, 1, nullptr);
  ASSERT_GE(old_config, 0);
  ASSERT_EQ(bpf_obj_pin(old_config, (root + "/config_v1").c_str()), 0);
  ::close(old_config);
  std::vector<std::string> logged;
  auto e = XdpEnforcer::open({root, 1024, [&](std::string_view m) { logged.emplace_back(m); }});
  ASSERT_TRUE(ok(e));
  EXPECT_NE(::access((root + "/config_v1").c_str(), F_OK), 0);
  EXPECT_EQ(::access((root + "/v2/config").c_str(), F_OK), 0);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find("config_v1"), std::string::npos);
}

TEST(BanFilterBulk, ApplyManyListAndUnban) {
  ASSERT_TRUE(require_root());
  auto pins = BpffsPinDir::create();
  ASSERT_TRUE(ok(pins));
  auto e = XdpEnforcer::open({pins->path() + "/mcf2b", 1 << 15, {}});
  ASSERT_TRUE(ok(e));
  ASSERT_TRUE(ok(e->set_jail("mc-exim-1d", JailPorts::from_list({25}))));
  ASSERT_TRUE(ok(e->set_jail("mc-exim-1w", JailPorts::from_list({25}))));
  std::vector<BanChange> changes;
  for (uint32_t i = 0; i < 20000; ++i) {
    IpAddress a = IpAddress::v4(0xC6120000u + i); // 198.18.0.0/15
    changes.push_back(BanChange::ban(i % 2 ? "mc-exim-1d" : "mc-exim-1w", IpPrefix::host(a), 0));
  }
  auto report = e->apply(changes);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.applied, 20000u);
  auto d = e->list_bans("mc-exim-1d");
  ASSERT_TRUE(ok(d));
  EXPECT_EQ(d->size(), 10000u);
  std::vector<BanChange> unbans;
  for (uint32_t i = 0; i < 20000; i += 2)
    unbans.push_back(BanChange::unban("mc-exim-1w", IpPrefix::host(IpAddress::v4(0xC6120000u + i))));
  report = e->apply(unbans);
  EXPECT_TRUE(report.ok());
  auto w = e->list_bans("mc-exim-1w");
  ASSERT_TRUE(ok(w));
  EXPECT_TRUE(w->empty());
  auto jails = e->jails();
  EXPECT_EQ(jails[0].host_bans, 10000u);
  EXPECT_EQ(jails[1].host_bans, 0u);
}

} // namespace
