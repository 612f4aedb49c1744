// SPDX-License-Identifier: GPL-2.0-only
// Enforcement on a real veth between two network namespaces: TCP connections from a
// banned and a clean source, a loader process that exits while its ban holds, the ipset
// mirror equal to the maps, and the iptables + ipset fallback without XDP.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "base/fd.h"
#include "tests/fixtures/gateway_testbed.h"
#include "tests/fixtures/requirements.h"
#include "tests/xdp/enforcer_loader.h"
#include "userspace/enforce/ipset_mirror.h"
#include "userspace/enforce/iptables_fallback.h"
#include "userspace/enforce/xdp_enforcer.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

constexpr const char *kBanned = "203.0.113.5";
constexpr const char *kClean = "203.0.113.6";
constexpr const char *kJail = "mc-exim-1d";

IpPrefix P(const char *text) { return IpPrefix::parse(text).value(); }

std::set<IpPrefix> as_set(const std::vector<IpPrefix> &v) { return {v.begin(), v.end()}; }

TEST(NetnsEnforcement, BannedSourceLosesOnlyItsJailPortsAndTheBanOutlivesTheLoader) {
  ASSERT_TRUE(require_root());
  ASSERT_TRUE(require_program("ipset"));
  auto bed = GatewayTestbed::create({kBanned, kClean});
  ASSERT_TRUE(ok(bed));
  const NetnsPair &pair = bed->pair();
  const std::string &root = bed->pin_root();

  ASSERT_EQ(load_attach_and_exit(pair, root, kBanned), 0);

  // The loader is gone; its program and maps are not.
  auto banned25 = bed->connects(kBanned, 25);
  ASSERT_TRUE(ok(banned25));
  EXPECT_FALSE(*banned25) << "a banned source reached port 25";
  auto banned22 = bed->connects(kBanned, 22);
  ASSERT_TRUE(ok(banned22));
  EXPECT_TRUE(*banned22) << "a source banned for port 25 could not reach port 22";
  for (uint16_t port : {25, 22}) {
    auto clean = bed->connects(kClean, port);
    ASSERT_TRUE(ok(clean));
    EXPECT_TRUE(*clean) << "a clean source could not reach port " << port;
  }

  // A new process picks up the pinned state, sees the drops, and swaps in its program.
  auto scope = NetnsScope::enter(pair.b().ns);
  ASSERT_TRUE(ok(scope));
  auto e = XdpEnforcer::open({root, 4096, {}});
  ASSERT_TRUE(ok(e));
  auto counters = e->counters();
  ASSERT_TRUE(ok(counters));
  ASSERT_EQ(counters->jails.size(), 1u);
  EXPECT_EQ(counters->jails[0].jail, kJail);
  EXPECT_GE(counters->jails[0].packets, 1u);
  EXPECT_GE(counters->dropped, 1u);
  auto mode = e->attach(pair.b().ifname);
  ASSERT_TRUE(ok(mode));
  EXPECT_EQ(*mode, XdpMode::native);

  // The ipset mirror, reconciled from the maps, holds exactly the maps' bans.
  IpsetMirror mirror(e->capacity());
  auto bans = e->list_bans(kJail);
  ASSERT_TRUE(ok(bans));
  std::vector<IpPrefix> prefixes;
  for (const auto &b : *bans)
    prefixes.push_back(b.prefix);
  ASSERT_EQ(prefixes.size(), 2u);
  ASSERT_TRUE(ok(mirror.ensure_jail(kJail)));
  ASSERT_TRUE(ok(mirror.apply(std::vector<BanChange>{BanChange::ban(kJail, P("192.0.2.99"), 0)})));
  ASSERT_TRUE(ok(mirror.reconcile(kJail, prefixes)));
  auto members = mirror.members(kJail);
  ASSERT_TRUE(ok(members));
  EXPECT_EQ(as_set(*members), as_set(prefixes));
  auto listed = run_program({"ipset", "list", kJail});
  ASSERT_TRUE(ok(listed));
  EXPECT_NE(listed->out.find(kBanned), std::string::npos) << listed->out;
  EXPECT_NE(listed->out.find("maxelem 4096"), std::string::npos) << listed->out;

  // Still enforced by the replaced program; an unban opens port 25.
  auto again = bed->connects(kBanned, 25);
  ASSERT_TRUE(ok(again));
  EXPECT_FALSE(*again);
  ASSERT_TRUE(ok(e->unban(kJail, P(kBanned))));
  auto after = bed->connects(kBanned, 25);
  ASSERT_TRUE(ok(after));
  EXPECT_TRUE(*after);
  ASSERT_TRUE(ok(e->detach(pair.b().ifname)));
}

TEST(NetnsEnforcement, IptablesFallbackDropsSetMembersOnTheJailPorts) {
  ASSERT_TRUE(require_root());
  ASSERT_TRUE(require_program("ipset"));
  ASSERT_TRUE(require_program("iptables-restore"));
  ASSERT_TRUE(require_program("ip6tables-restore"));
  auto bed = GatewayTestbed::create({kBanned, kClean});
  ASSERT_TRUE(ok(bed));
  const std::string &ns = bed->pair().b().ns;
  {
    auto scope = NetnsScope::enter(ns);
    ASSERT_TRUE(ok(scope));
    IpsetMirror mirror(1 << 20);
    ASSERT_TRUE(ok(mirror.ensure_jail(kJail)));
    ASSERT_TRUE(ok(mirror.ensure_jail("mc-all")));
    ASSERT_TRUE(ok(mirror.apply(std::vector<BanChange>{
        BanChange::ban(kJail, P(kBanned), 0), BanChange::ban(kJail, P("2001:db8:9::/48"), 0)})));
    std::vector<IptablesFallback::Jail> jails = {{kJail, JailPorts::from_list({25, 465, 587})},
                                                 {"mc-all", JailPorts::all_ports()}};
    ASSERT_TRUE(ok(IptablesFallback().install(jails)));
    ASSERT_TRUE(ok(IptablesFallback().install(jails))); // idempotent: one hook only
    auto hooks = run_program({"iptables", "-t", "raw", "-S", "PREROUTING"});
    ASSERT_TRUE(ok(hooks));
    EXPECT_EQ(std::count(hooks->out.begin(), hooks->out.end(), '\n'), 2) << hooks->out;
  }
  auto banned25 = bed->connects(kBanned, 25);
  ASSERT_TRUE(ok(banned25));
  EXPECT_FALSE(*banned25);
  auto banned22 = bed->connects(kBanned, 22);
  ASSERT_TRUE(ok(banned22));
  EXPECT_TRUE(*banned22);
  auto clean25 = bed->connects(kClean, 25);
  ASSERT_TRUE(ok(clean25));
  EXPECT_TRUE(*clean25);
  {
    auto scope = NetnsScope::enter(ns);
    ASSERT_TRUE(ok(scope));
    ASSERT_TRUE(ok(IptablesFallback().remove()));
  }
  auto open25 = bed->connects(kBanned, 25);
  ASSERT_TRUE(ok(open25));
  EXPECT_TRUE(*open25);
}

// Bans reach the sets over netlink; a set not made yet is made by the restore stream
// the batch falls back to; adding a member twice, or deleting one that is gone, is no
// error (ipset's -exist), in either family.
TEST(NetnsEnforcement, TheMirrorMakesMissingSetsAndTakesRepeatedChanges) {
  ASSERT_TRUE(require_root());
  ASSERT_TRUE(require_program("ipset"));
  auto pair = NetnsPair::create();
  ASSERT_TRUE(ok(pair));
  auto scope = NetnsScope::enter(pair->b().ns);
  ASSERT_TRUE(ok(scope));
  IpsetMirror mirror(4096);
  const std::vector<BanChange> bans = {BanChange::ban(kJail, P(kBanned), 0),
                                       BanChange::ban(kJail, P("198.51.100.0/24"), 0),
                                       BanChange::ban(kJail, P("2001:db8:9::/48"), 0)};
  ASSERT_TRUE(ok(mirror.apply(bans))); // no set yet
  ASSERT_TRUE(ok(mirror.apply(bans))); // all there already
  auto members = mirror.members(kJail);
  ASSERT_TRUE(ok(members));
  EXPECT_EQ(as_set(*members), as_set({P(kBanned), P("198.51.100.0/24"), P("2001:db8:9::/48")}));
  const std::vector<BanChange> unbans = {BanChange::unban(kJail, P(kBanned)),
                                         BanChange::unban(kJail, P("2001:db8:9::/48"))};
  ASSERT_TRUE(ok(mirror.apply(unbans)));
  ASSERT_TRUE(ok(mirror.apply(unbans))); // gone already
  members = mirror.members(kJail);
  ASSERT_TRUE(ok(members));
  EXPECT_EQ(as_set(*members), as_set({P("198.51.100.0/24")}));
  // Many changes at once: several netlink writes.
  std::vector<BanChange> many;
  for (uint32_t i = 0; i < 2000; ++i)
    many.push_back(BanChange::ban(kJail, IpPrefix::host(IpAddress::v4(0x0a000000u + i)), 0));
  ASSERT_TRUE(ok(mirror.apply(many)));
  members = mirror.members(kJail);
  ASSERT_TRUE(ok(members));
  EXPECT_EQ(members->size(), 2001u);
  ASSERT_TRUE(ok(mirror.remove_jail(kJail)));
}

TEST(IptablesFallbackRules, ScopeByPortsFragmentsAndAllPorts) {
  std::vector<IptablesFallback::Jail> jails = {{"mc-ssh-1d", JailPorts::from_list({22})},
                                               {"mc-all", JailPorts::all_ports()}};
  std::string v4 = IptablesFallback::rules(jails, 4);
  EXPECT_NE(v4.find("-A MCF2B -p tcp -m set --match-set mc-ssh-1d src -m multiport --dports 22 "
                    "-j DROP"),
            std::string::npos)
      << v4;
  EXPECT_NE(v4.find("-A MCF2B -f -m set --match-set mc-ssh-1d src -j DROP"), std::string::npos);
  EXPECT_NE(v4.find("-A MCF2B -m set --match-set mc-all src -j DROP"), std::string::npos);
  std::string v6 = IptablesFallback::rules(jails, 6);
  EXPECT_NE(v6.find("--match-set mc-ssh-1d-v6 src"), std::string::npos) << v6;
}

} // namespace
