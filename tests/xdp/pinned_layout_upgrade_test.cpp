// SPDX-License-Identifier: GPL-2.0-only
// The upgrade from the pins of builds that spelled the layout version on every map name
// (PIN_ROOT/<map>_v2) to the layout folder (PIN_ROOT/v2/<map>): the maps, with their
// bans, are adopted, the old pins are gone and nothing else is left behind; an attached
// program of the old layout is replaced in its pinned link and the bans hold throughout.
//
// The old layout is made here by renaming the pins the enforcer made into the names the
// old build gave them: both builds define the same maps (the layout is version 2 in
// both), so that is what the old build left on a host.
#include <linux/bpf.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <bpf/bpf.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "base/fd.h"
#include "tests/fixtures/bpffs_pin_dir.h"
#include "tests/fixtures/gateway_testbed.h"
#include "tests/fixtures/requirements.h"
#include "tests/xdp/enforcer_loader.h"
#include "tests/xdp/test_packet.h"
#include "userspace/enforce/bpf_test_run.h"
#include "userspace/enforce/tai_clock.h"
#include "userspace/enforce/xdp_enforcer.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

IpPrefix P(const char *text) {
  return IpPrefix::parse(text).value();
}

// The ban filter's maps, as pinned.
const std::set<std::string> kMaps = {
    "ban_host4", "ban_host6", "ban_hjail4", "ban_hjail6", "ban_pfx4", "ban_pfx6", "ban_bloom",
    "allow4",    "allow6",    "jail_ports", "jail_slots", "config",   "stats",    "jail_stats"};

std::set<std::string> entries_of(const std::string &dir) {
  std::set<std::string> out;
  for (const auto &e : std::filesystem::directory_iterator(dir))
    out.insert(e.path().filename().string());
  return out;
}

// The pins of the maps the arrays of maps hold (the host tables in use, each jail's
// prefix trie), beside the maps; builds of the suffixed layout did not pin them.
bool inner_map_pin(const std::string &name) {
  return name == "ban_host4_table" || name == "ban_host6_table" ||
         name.starts_with("ban_pfx4_") || name.starts_with("ban_pfx6_");
}
std::set<std::string> maps_of(const std::string &dir) {
  std::set<std::string> out;
  for (const auto &name : entries_of(dir))
    if (!inner_map_pin(name))
      out.insert(name);
  return out;
}
std::set<std::string> inner_pins_of(const std::string &dir) {
  std::set<std::string> out;
  for (const auto &name : entries_of(dir))
    if (inner_map_pin(name))
      out.insert(name);
  return out;
}

std::set<std::string> with_suffix(const std::set<std::string> &names, const std::string &suffix) {
  std::set<std::string> out;
  for (const auto &n : names)
    out.insert(n + suffix);
  return out;
}

// Lays the pins under `root` out as the build before the layout folder did: each map
// of root/v2 pinned as root/<map>_v2, no folder, and no pins of inner maps.
void lay_out_with_suffixes(const std::string &root) {
  std::string dir = root + "/v2";
  ASSERT_EQ(maps_of(dir), kMaps);
  for (const auto &name : kMaps)
    ASSERT_EQ(std::rename((dir + "/" + name).c_str(), (root + "/" + name + "_v2").c_str()), 0)
        << name;
  for (const auto &name : inner_pins_of(dir))
    ASSERT_EQ(::unlink((dir + "/" + name).c_str()), 0) << name;
  ASSERT_EQ(::rmdir(dir.c_str()), 0);
}

bool dropped(const XdpEnforcer &e, const char *src, uint16_t dport) {
  TestPacket p;
  p.src = src;
  p.dst = std::string(src).find(':') != std::string::npos ? "2001:db8::1" : "198.51.100.1";
  p.dport = dport;
  auto r = bpf_test_run(e.program_fd(), p.build());
  EXPECT_TRUE(ok(r));
  return r && r->verdict == XDP_DROP;
}

std::set<std::pair<std::string, std::string>> bans_of(const XdpEnforcer &e,
                                                      const std::vector<std::string> &jails) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto &jail : jails) {
    auto bans = e.list_bans(jail);
    EXPECT_TRUE(ok(bans));
    if (bans)
      for (const auto &b : *bans)
        out.emplace(jail, b.prefix.to_string() + " until " + std::to_string(b.expires));
  }
  return out;
}

TEST(PinnedLayoutUpgrade, SuffixedPinsAreAdoptedWithTheirBansAndRemoved) {
  ASSERT_TRUE(require_root());
  auto pins = BpffsPinDir::create();
  ASSERT_TRUE(ok(pins));
  std::string root = pins->path() + "/mcf2b";
  const std::vector<std::string> jails = {"mc-ssh-1d", "mc-exim-1d", "mc-all"};
  Seconds expiry = unix_now() + 86400;
  std::set<std::pair<std::string, std::string>> before;
  {
    auto e = XdpEnforcer::open({root, 1024, {}});
    ASSERT_TRUE(ok(e));
    ASSERT_TRUE(ok(e->set_jail("mc-ssh-1d", JailPorts::from_list({22}))));
    ASSERT_TRUE(ok(e->set_jail("mc-exim-1d", JailPorts::from_list({25, 465}))));
    ASSERT_TRUE(ok(e->set_jail("mc-all", JailPorts::all_ports())));
    // One address in two jails (its expiries in the per-jail map), both address
    // families, hosts and prefixes, and a whitelisted ban.
    ASSERT_TRUE(ok(e->ban("mc-exim-1d", P("192.0.2.5"), expiry)));
    ASSERT_TRUE(ok(e->ban("mc-ssh-1d", P("192.0.2.5"), 0)));
    ASSERT_TRUE(ok(e->ban("mc-ssh-1d", P("2001:db8::5"), expiry)));
    ASSERT_TRUE(ok(e->ban("mc-exim-1d", P("198.51.100.0/24"), 0)));
    ASSERT_TRUE(ok(e->ban("mc-all", P("2001:db8:1::/48"), expiry)));
    ASSERT_TRUE(ok(e->ban("mc-exim-1d", P("192.0.2.130"), 0)));
    ASSERT_TRUE(ok(e->whitelist_add(P("192.0.2.128/25"))));
    before = bans_of(*e, jails);
    ASSERT_EQ(before.size(), 6u);
  }
  lay_out_with_suffixes(root);
  ASSERT_EQ(entries_of(root), with_suffix(kMaps, "_v2"));

  std::vector<std::string> logged;
  // A different capacity asked: the adopted maps keep theirs.
  auto e = XdpEnforcer::open({root, 4096, [&](std::string_view m) { logged.emplace_back(m); }});
  ASSERT_TRUE(ok(e));
  EXPECT_EQ(e->capacity(), 1024u);
  ASSERT_FALSE(logged.empty());
  EXPECT_NE(logged[0].find("moved the maps pinned under " + root), std::string::npos) << logged[0];

  // The old pins are gone, the layout folder holds the maps, nothing else is there (but
  // the pins of the inner maps, made again: the host tables, the two jails' tries).
  EXPECT_EQ(entries_of(root), (std::set<std::string>{"v2"}));
  EXPECT_EQ(maps_of(root + "/v2"), kMaps);
  EXPECT_EQ(inner_pins_of(root + "/v2"),
            (std::set<std::string>{"ban_host4_table", "ban_host6_table", "ban_pfx4_1",
                                   "ban_pfx6_2"}));

  // Slots, bans and whitelist are the old ones, and the program enforces them.
  EXPECT_EQ(e->slot_of("mc-ssh-1d"), std::optional<JailSlot>(0));
  EXPECT_EQ(e->slot_of("mc-exim-1d"), std::optional<JailSlot>(1));
  EXPECT_EQ(e->slot_of("mc-all"), std::optional<JailSlot>(2));
  EXPECT_EQ(bans_of(*e, jails), before);
  EXPECT_EQ(e->whitelist().size(), 1u);
  EXPECT_TRUE(dropped(*e, "192.0.2.5", 25));
  EXPECT_TRUE(dropped(*e, "192.0.2.5", 22));
  EXPECT_FALSE(dropped(*e, "192.0.2.5", 80));
  EXPECT_TRUE(dropped(*e, "2001:db8::5", 22));
  EXPECT_FALSE(dropped(*e, "2001:db8::5", 25));
  EXPECT_TRUE(dropped(*e, "198.51.100.7", 465));
  EXPECT_FALSE(dropped(*e, "198.51.100.7", 22));
  EXPECT_TRUE(dropped(*e, "2001:db8:1::9", 8080));
  EXPECT_FALSE(dropped(*e, "192.0.2.130", 25)); // whitelisted
  EXPECT_FALSE(dropped(*e, "192.0.2.6", 25));

  // The address in two jails keeps the other jail's ban when one goes.
  ASSERT_TRUE(ok(e->unban("mc-exim-1d", P("192.0.2.5"))));
  EXPECT_FALSE(dropped(*e, "192.0.2.5", 25));
  EXPECT_TRUE(dropped(*e, "192.0.2.5", 22));
}

TEST(PinnedLayoutUpgrade, ALaterStartHasNothingToMove) {
  ASSERT_TRUE(require_root());
  auto pins = BpffsPinDir::create();
  ASSERT_TRUE(ok(pins));
  std::string root = pins->path() + "/mcf2b";
  {
    auto e = XdpEnforcer::open({root, 1024, {}});
    ASSERT_TRUE(ok(e));
    ASSERT_TRUE(ok(e->set_jail("mc-exim-1d", JailPorts::from_list({25}))));
    ASSERT_TRUE(ok(e->ban("mc-exim-1d", P("192.0.2.5"), 0)));
  }
  lay_out_with_suffixes(root);
  ASSERT_TRUE(ok(XdpEnforcer::open({root, 1024, {}})));
  std::vector<std::string> logged;
  auto again = XdpEnforcer::open({root, 1024, [&](std::string_view m) { logged.emplace_back(m); }});
  ASSERT_TRUE(ok(again));
  EXPECT_TRUE(logged.empty()) << logged.front();
  EXPECT_EQ(bans_of(*again, {"mc-exim-1d"}).size(), 1u);
  EXPECT_TRUE(dropped(*again, "192.0.2.5", 25));
  EXPECT_EQ(entries_of(root), (std::set<std::string>{"v2"}));
}

constexpr const char *kBanned = "203.0.113.5";
constexpr const char *kClean = "203.0.113.6";
constexpr const char *kJail = "mc-exim-1d";

// Whether a TCP connection from `source` reaches `port` on side b (a failed probe fails
// the test and counts as not reached).
bool reaches(const GatewayTestbed &bed, const char *source, uint16_t port) {
  auto r = bed.connects(source, port);
  EXPECT_TRUE(ok(r));
  return r && *r;
}

uint32_t program_id(int prog_fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  return bpf_obj_get_info_by_fd(prog_fd, &info, &len) == 0 ? info.id : 0;
}

uint32_t linked_program_id(const std::string &link_pin) {
  Fd link(bpf_obj_get(link_pin.c_str()));
  bpf_link_info info{};
  uint32_t len = sizeof(info);
  if (!link || bpf_obj_get_info_by_fd(link.get(), &info, &len) != 0)
    return 0;
  return info.prog_id;
}

TEST(PinnedLayoutUpgrade, AnAttachedProgramOfTheSuffixedLayoutIsReplacedInItsLink) {
  ASSERT_TRUE(require_root());
  auto bed = GatewayTestbed::create({kBanned, kClean});
  ASSERT_TRUE(ok(bed));
  const NetnsPair &pair = bed->pair();
  const std::string &root = bed->pin_root();
  std::string link_pin = root + "/xdp_link_" + pair.b().ifname;

  // What a daemon of the old build did before it stopped (with this build, whose pins
  // are then renamed as the old build named them).
  ASSERT_EQ(load_attach_and_exit(pair, root, kBanned), 0);
  lay_out_with_suffixes(root);
  uint32_t old_program = linked_program_id(link_pin);
  ASSERT_NE(old_program, 0u);
  // The old program enforces over the suffixed pins with no process around.
  EXPECT_FALSE(reaches(*bed, kBanned, 25))
      << "a banned source reached port 25 under the old layout";

  auto scope = NetnsScope::enter(pair.b().ns);
  ASSERT_TRUE(ok(scope));
  std::vector<std::string> logged;
  auto e = XdpEnforcer::open({root, 4096, [&](std::string_view m) { logged.emplace_back(m); }});
  ASSERT_TRUE(ok(e));
  auto mode = e->attach(pair.b().ifname);
  ASSERT_TRUE(ok(mode));
  EXPECT_EQ(*mode, XdpMode::native);
  // The same link now runs this build's program.
  EXPECT_EQ(linked_program_id(link_pin), program_id(e->program_fd()));
  EXPECT_NE(linked_program_id(link_pin), old_program);
  EXPECT_EQ(entries_of(root), (std::set<std::string>{"v2", "xdp_link_" + pair.b().ifname}));
  EXPECT_EQ(maps_of(root + "/v2"), kMaps);
  EXPECT_EQ(inner_pins_of(root + "/v2"),
            (std::set<std::string>{"ban_host4_table", "ban_host6_table", "ban_pfx4_0"}));

  auto bans = e->list_bans(kJail);
  ASSERT_TRUE(ok(bans));
  EXPECT_EQ(bans->size(), 2u);
  EXPECT_FALSE(reaches(*bed, kBanned, 25)) << "a banned source reached port 25 after the upgrade";
  EXPECT_TRUE(reaches(*bed, kBanned, 22));
  EXPECT_TRUE(reaches(*bed, kClean, 25));
  ASSERT_TRUE(ok(e->unban(kJail, P(kBanned))));
  EXPECT_TRUE(reaches(*bed, kBanned, 25));
  ASSERT_TRUE(ok(e->detach(pair.b().ifname)));
}

} // namespace
