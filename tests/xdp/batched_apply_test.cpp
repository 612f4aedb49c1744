// SPDX-License-Identifier: GPL-2.0-only
// XdpEnforcer::apply over real maps: batches mixing bans and unbans across jails, the
// per-jail expiries as the kernel holds them (read from the pinned maps) and as the
// program enforces them (BPF_PROG_TEST_RUN), after a restart too, and a batch with a
// failing change reporting exactly that change. Each test in its own bpffs pin folder.
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "base/fd.h"
#include "tests/fixtures/pin_dir_fixture.h"
#include "tests/fixtures/requirements.h"
#include "tests/xdp/test_packet.h"
#include "userspace/enforce/bpf_map_ops.h"
#include "userspace/enforce/bpf_test_run.h"
#include "userspace/enforce/pinned_layout.h"
#include "userspace/enforce/shared_structs.h"
#include "userspace/enforce/tai_clock.h"
#include "userspace/enforce/xdp_enforcer.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

IpPrefix P(const char *text) {
  return IpPrefix::parse(text).value();
}

// Ports: each jail its own, so a verdict says which jail dropped.
constexpr uint16_t kPortOf[] = {25, 22, 80, 443};
const char *const kJails[] = {"j-smtp", "j-ssh", "j-http", "j-https"};

// (address, kernel slot) -> expiry (Unix seconds) as a ban_hjail map holds it.
using PerJailEntries = std::map<std::pair<std::string, JailSlot>, Seconds>;

class XdpBatchedApply : public PinDirTest {
protected:
  std::string root() const { return pins_->path() + "/mcf2b"; }

  void open(uint32_t capacity) {
    enforcer_.reset();
    auto e = XdpEnforcer::open({root(), capacity, {}});
    ASSERT_TRUE(ok(e));
    enforcer_.emplace(std::move(*e));
    for (size_t j = 0; j < std::size(kJails); ++j)
      ASSERT_TRUE(ok(enforcer_->set_jail(kJails[j], JailPorts::from_list({kPortOf[j]}))));
  }

  bool dropped(const char *src, size_t jail) {
    TestPacket p;
    p.src = src;
    p.dst = std::string(src).find(':') != std::string::npos ? "2001:db8::1" : "198.51.100.1";
    p.dport = kPortOf[jail];
    auto r = bpf_test_run(enforcer_->program_fd(), p.build());
    EXPECT_TRUE(ok(r));
    return r && r->verdict == XDP_DROP;
  }

  // What the jail's bans are, as the enforcer reads them back: prefix text -> expiry.
  std::map<std::string, Seconds> bans(size_t jail) {
    auto list = enforcer_->list_bans(kJails[jail]);
    EXPECT_TRUE(ok(list));
    std::map<std::string, Seconds> out;
    if (list)
      for (const auto &b : *list)
        out[b.prefix.to_string()] = b.expires;
    return out;
  }

  // Every entry of the pinned per-jail expiry maps, both address families.
  PerJailEntries per_jail_entries() {
    PerJailEntries out;
    int64_t offset = tai_offset_seconds();
    for (bool v4 : {true, false}) {
      std::string path = pinned_layout_dir(root()) + (v4 ? "/ban_hjail4" : "/ban_hjail6");
      Fd map(bpf_obj_get(path.c_str()));
      EXPECT_TRUE(map) << path;
      if (!map)
        continue;
      uint8_t key[sizeof(mcf2b_hjail6_key)], next[sizeof(mcf2b_hjail6_key)];
      bool first = true;
      while (bpf_map_get_next_key(map.get(), first ? nullptr : key, next) == 0) {
        first = false;
        std::memcpy(key, next, sizeof(key));
        mcf2b_expiry e{};
        EXPECT_EQ(bpf_map_lookup_elem(map.get(), key, &e), 0);
        IpAddress a;
        JailSlot slot;
        if (v4) {
          mcf2b_hjail4_key k;
          std::memcpy(&k, key, sizeof(k));
          a = IpAddress::v4_bytes(reinterpret_cast<const uint8_t *>(&k.addr));
          slot = k.kernel_slot;
        } else {
          mcf2b_hjail6_key k;
          std::memcpy(&k, key, sizeof(k));
          a = IpAddress::v6_bytes(k.addr);
          slot = k.kernel_slot;
        }
        out[{a.to_string(), slot}] = tai_ns_to_unix(e.expires_ns, offset);
      }
    }
    return out;
  }

  JailSlot slot(size_t jail) { return enforcer_->slot_of(kJails[jail]).value(); }

  std::optional<XdpEnforcer> enforcer_;
};

BanChange ban(size_t jail, const char *p, Seconds expires) {
  return BanChange::ban(kJails[jail], P(p), expires);
}
BanChange unban(size_t jail, const char *p) {
  return BanChange::unban(kJails[jail], P(p));
}

TEST_F(XdpBatchedApply, MixedBansAndUnbansAcrossJailsInOneBatch) {
  open(1024);
  const Seconds now = unix_now();
  const Seconds hour = now + 3600, day = now + 86400, past = now - 10;
  std::vector<BanChange> first = {
      ban(0, "192.0.2.1", hour),                             // a: one jail
      ban(0, "192.0.2.2", hour),   ban(1, "192.0.2.2", day), // b: two jails
      ban(0, "2001:db8::3", hour), ban(1, "2001:db8::3", day),
      ban(2, "2001:db8::3", 0), // c: three, one permanent
      ban(1, "192.0.2.4", day), // d: one jail
  };
  auto r1 = enforcer_->apply(first);
  ASSERT_TRUE(r1.ok()) << r1.failed.front().second.message();
  EXPECT_EQ(r1.applied, first.size());

  std::vector<BanChange> second = {
      unban(0, "192.0.2.2"),                                   // b: down to ssh
      unban(1, "192.0.2.4"),                                   // d: gone
      unban(3, "192.0.2.99"),                                  // never banned: no error
      ban(1, "192.0.2.1", past),   ban(2, "192.0.2.1", day),   // a: three jails, ssh expired
      unban(2, "2001:db8::3"),     ban(3, "2001:db8::3", day), // c: http out, https in
      ban(1, "2001:db8::3", hour),                             // c: ssh shortened
      ban(0, "2001:db8::5", day),  ban(1, "2001:db8::5", hour),
      unban(0, "2001:db8::5"),     ban(3, "2001:db8::5", 0), // e: new, net ssh + https
      ban(1, "192.0.2.2", hour),                             // b: ssh again, new expiry
  };
  auto r2 = enforcer_->apply(second);
  ASSERT_TRUE(r2.ok()) << r2.failed.front().second.message();
  EXPECT_EQ(r2.applied, second.size());

  using Bans = std::map<std::string, Seconds>;
  EXPECT_EQ(bans(0), (Bans{{"192.0.2.1", hour}, {"2001:db8::3", hour}}));
  EXPECT_EQ(
      bans(1),
      (Bans{
          {"192.0.2.1", past}, {"192.0.2.2", hour}, {"2001:db8::3", hour}, {"2001:db8::5", hour}}));
  EXPECT_EQ(bans(2), (Bans{{"192.0.2.1", day}}));
  EXPECT_EQ(bans(3), (Bans{{"2001:db8::3", day}, {"2001:db8::5", 0}}));

  // The kernel's per-jail expiries: exactly the addresses in two or more jails.
  PerJailEntries want = {
      {{"192.0.2.1", slot(0)}, hour},   {{"192.0.2.1", slot(1)}, past},
      {{"192.0.2.1", slot(2)}, day},    {{"2001:db8::3", slot(0)}, hour},
      {{"2001:db8::3", slot(1)}, hour}, {{"2001:db8::3", slot(3)}, day},
      {{"2001:db8::5", slot(1)}, hour}, {{"2001:db8::5", slot(3)}, 0},
  };
  EXPECT_EQ(per_jail_entries(), want);

  // What the program does with them: a's ssh ban has expired, the rest hold.
  EXPECT_TRUE(dropped("192.0.2.1", 0));
  EXPECT_FALSE(dropped("192.0.2.1", 1));
  EXPECT_TRUE(dropped("192.0.2.1", 2));
  EXPECT_FALSE(dropped("192.0.2.1", 3));
  EXPECT_FALSE(dropped("192.0.2.2", 0));
  EXPECT_TRUE(dropped("192.0.2.2", 1));
  EXPECT_TRUE(dropped("2001:db8::3", 0));
  EXPECT_TRUE(dropped("2001:db8::3", 1));
  EXPECT_FALSE(dropped("2001:db8::3", 2));
  EXPECT_TRUE(dropped("2001:db8::3", 3));
  EXPECT_FALSE(dropped("192.0.2.4", 1));
  EXPECT_FALSE(dropped("2001:db8::5", 0));
  EXPECT_TRUE(dropped("2001:db8::5", 1));
  EXPECT_TRUE(dropped("2001:db8::5", 3));

  auto jails = enforcer_->jails();
  ASSERT_EQ(jails.size(), 4u);
  std::vector<uint64_t> host_bans;
  for (const auto &j : jails)
    host_bans.push_back(j.host_bans);
  EXPECT_EQ(host_bans, (std::vector<uint64_t>{2, 4, 1, 2}));
}

// The i-th of the restart test's addresses, as the enforcer writes it: a third IPv6.
std::string test_address(int i) {
  std::string text = i % 3 ? "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256)
                           : "2001:db8:7::" + std::to_string(i + 1);
  return P(text.c_str()).to_string();
}

TEST_F(XdpBatchedApply, PerJailExpiriesReadBackAfterARestart) {
  open(1024);
  const Seconds now = unix_now();
  std::vector<BanChange> changes;
  // 300 addresses, each in the four jails with its own expiry per jail.
  for (int i = 0; i < 300; ++i) {
    std::string a = test_address(i);
    for (size_t j = 0; j < 4; ++j)
      changes.push_back(BanChange::ban(kJails[j], P(a.c_str()), now + 100 * (i + 1) + Seconds(j)));
  }
  auto r = enforcer_->apply(changes);
  ASSERT_TRUE(r.ok()) << r.failed.front().second.message();
  auto before = per_jail_entries();
  EXPECT_EQ(before.size(), 1200u);

  open(1024); // the enforcer's copy of the per-jail maps comes back from the kernel
  for (size_t j = 0; j < 4; ++j) {
    auto held = bans(j);
    ASSERT_EQ(held.size(), 300u);
    for (int i = 0; i < 300; i += 37) {
      std::string a = test_address(i);
      EXPECT_EQ(held[a], now + 100 * (i + 1) + Seconds(j)) << a << " in " << kJails[j];
    }
  }
  // Changes after the restart work from that copy: down to one jail, and out.
  std::vector<BanChange> after;
  for (int i = 0; i < 300; ++i) {
    std::string a = test_address(i);
    for (size_t j = (i % 2 ? 1 : 0); j < 4; ++j)
      after.push_back(BanChange::unban(kJails[j], P(a.c_str())));
  }
  auto r2 = enforcer_->apply(after);
  ASSERT_TRUE(r2.ok()) << r2.failed.front().second.message();
  EXPECT_TRUE(per_jail_entries().empty());
  auto left = bans(0);
  EXPECT_EQ(left.size(), 150u);
  EXPECT_EQ(left["10.0.0.1"], now + 200);
  EXPECT_TRUE(dropped("10.0.0.1", 0));
  EXPECT_FALSE(dropped("10.0.0.1", 1));
  EXPECT_FALSE(dropped("10.0.0.2", 0));
}

TEST_F(XdpBatchedApply, AFailingChangeIsReportedAloneAndTheOthersApply) {
  open(4); // four per-jail expiries per address family at most
  const Seconds day = unix_now() + 86400;
  std::vector<BanChange> changes = {
      ban(0, "192.0.2.1", day),
      ban(1, "192.0.2.1", day),
      ban(2, "192.0.2.1", day),                            // three per-jail expiries
      ban(0, "192.0.2.2", day),                            // one jail: the table only
      ban(1, "192.0.2.2", day),                            // needs two more: the map is full
      BanChange::ban("no-such-jail", P("192.0.2.3"), day), // refused: unknown jail
      ban(0, "192.0.2.3", day),
      ban(0, "192.0.2.4", day),
      unban(0, "192.0.2.4"),
      ban(3, "192.0.2.4", day), // one jail in the end
  };
  auto r = enforcer_->apply(changes);
  ASSERT_EQ(r.failed.size(), 2u);
  EXPECT_EQ(r.failed[0].first, 4u);
  EXPECT_TRUE(is_map_full(r.failed[0].second)) << r.failed[0].second.message();
  EXPECT_EQ(r.failed[1].first, 5u);
  EXPECT_EQ(r.applied, changes.size() - 2);
  auto c = enforcer_->counters();
  ASSERT_TRUE(ok(c));
  EXPECT_EQ(c->map_full, 1u);

  using Bans = std::map<std::string, Seconds>;
  EXPECT_EQ(bans(0), (Bans{{"192.0.2.1", day}, {"192.0.2.2", day}, {"192.0.2.3", day}}));
  EXPECT_EQ(bans(1), (Bans{{"192.0.2.1", day}}));
  EXPECT_EQ(bans(3), (Bans{{"192.0.2.4", day}}));
  // Nothing of the failed change is left in the per-jail map.
  EXPECT_EQ(per_jail_entries(), (PerJailEntries{{{"192.0.2.1", slot(0)}, day},
                                                {{"192.0.2.1", slot(1)}, day},
                                                {{"192.0.2.1", slot(2)}, day}}));
  EXPECT_TRUE(dropped("192.0.2.2", 0));
  EXPECT_FALSE(dropped("192.0.2.2", 1));
  EXPECT_TRUE(dropped("192.0.2.1", 2));
  EXPECT_FALSE(dropped("192.0.2.4", 0));
  EXPECT_TRUE(dropped("192.0.2.4", 3));
}

TEST_F(XdpBatchedApply, AFailureAmongAnAddressesChangesFailsOnlyThatChange) {
  open(4);
  const Seconds day = unix_now() + 86400, hour = unix_now() + 3600;
  ASSERT_TRUE(enforcer_
                  ->apply(std::vector<BanChange>{ban(0, "192.0.2.1", day), ban(1, "192.0.2.1", day),
                                                 ban(2, "192.0.2.1", day)})
                  .ok());
  // In order: 192.0.2.9 banned in smtp, then ssh (no room: fails), then out of smtp,
  // then in https alone. And an IPv6 address's own map has room.
  std::vector<BanChange> changes = {
      ban(0, "192.0.2.9", day),  ban(1, "192.0.2.9", day),   unban(0, "192.0.2.9"),
      ban(3, "192.0.2.9", hour), ban(0, "2001:db8::9", day), ban(1, "2001:db8::9", hour),
  };
  auto r = enforcer_->apply(changes);
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].first, 1u);
  EXPECT_TRUE(is_map_full(r.failed[0].second)) << r.failed[0].second.message();
  using Bans = std::map<std::string, Seconds>;
  EXPECT_EQ(bans(0), (Bans{{"192.0.2.1", day}, {"2001:db8::9", day}}));
  EXPECT_EQ(bans(1), (Bans{{"192.0.2.1", day}, {"2001:db8::9", hour}}));
  EXPECT_EQ(bans(3), (Bans{{"192.0.2.9", hour}}));
  EXPECT_EQ(per_jail_entries(), (PerJailEntries{{{"192.0.2.1", slot(0)}, day},
                                                {{"192.0.2.1", slot(1)}, day},
                                                {{"192.0.2.1", slot(2)}, day},
                                                {{"2001:db8::9", slot(0)}, day},
                                                {{"2001:db8::9", slot(1)}, hour}}));
  EXPECT_FALSE(dropped("192.0.2.9", 0));
  EXPECT_FALSE(dropped("192.0.2.9", 1));
  EXPECT_TRUE(dropped("192.0.2.9", 3));
  EXPECT_TRUE(dropped("2001:db8::9", 1));
}

TEST_F(XdpBatchedApply, PrefixBatchesKeepCoveringExpiriesAndReportAFullTrie) {
  open(4); // four prefixes per trie at most
  const Seconds now = unix_now();
  const Seconds day = now + 86400, hour = now + 3600, past = now - 10;
  std::vector<BanChange> changes = {
      ban(0, "10.1.0.0/16", day),     ban(0, "10.1.2.0/24", past), // expired, but inside a live /16
      ban(0, "10.2.0.0/16", hour),    ban(0, "10.3.0.0/16", hour),
      ban(0, "10.4.0.0/16", hour), // a fifth: the trie is full
      unban(0, "10.9.0.0/16"),     // never banned: no error
      ban(1, "2001:db8:1::/48", day),
  };
  auto r = enforcer_->apply(changes);
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].first, 4u);
  EXPECT_TRUE(is_map_full(r.failed[0].second)) << r.failed[0].second.message();
  EXPECT_EQ(r.applied, changes.size() - 1);
  using Bans = std::map<std::string, Seconds>;
  EXPECT_EQ(bans(0), (Bans{{"10.1.0.0/16", day},
                           {"10.1.2.0/24", past},
                           {"10.2.0.0/16", hour},
                           {"10.3.0.0/16", hour}}));
  EXPECT_TRUE(dropped("10.1.2.3", 0));
  EXPECT_TRUE(dropped("10.2.0.1", 0));
  EXPECT_FALSE(dropped("10.4.0.1", 0));
  EXPECT_TRUE(dropped("2001:db8:1::5", 1));

  // An unban makes room for a ban in the same batch; without its /16 the /24 has expired.
  auto r2 = enforcer_->apply(std::vector<BanChange>{
      unban(0, "10.2.0.0/16"), ban(0, "10.4.0.0/16", hour), unban(0, "10.1.0.0/16")});
  ASSERT_TRUE(r2.ok()) << r2.failed.front().second.message();
  EXPECT_EQ(bans(0), (Bans{{"10.1.2.0/24", past}, {"10.3.0.0/16", hour}, {"10.4.0.0/16", hour}}));
  EXPECT_FALSE(dropped("10.1.2.3", 0));
  EXPECT_FALSE(dropped("10.2.0.1", 0));
  EXPECT_TRUE(dropped("10.4.0.1", 0));

  open(4); // read back after a restart
  EXPECT_EQ(bans(0), (Bans{{"10.1.2.0/24", past}, {"10.3.0.0/16", hour}, {"10.4.0.0/16", hour}}));
  EXPECT_EQ(enforcer_->jails()[0].prefix_bans, 3u);
}

TEST_F(XdpBatchedApply, ABulkBatchGoesInSlicesAndReportsItsOneFailure) {
  // 1,000 addresses in three jails, jail after jail as a start-up's reconcile lists them:
  // 3,000 changes, more than one slice, an address's changes in different slices. The
  // per-jail map holds 2,999: the very last ban is the one refused.
  open(2999);
  const Seconds now = unix_now();
  auto address = [](int i) {
    return "10.7." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
  };
  std::vector<BanChange> changes;
  for (size_t j = 0; j < 3; ++j)
    for (int i = 0; i < 1000; ++i)
      changes.push_back(
          BanChange::ban(kJails[j], P(address(i).c_str()), now + 1000 + i * 3 + Seconds(j)));
  auto r = enforcer_->apply(changes);
  ASSERT_EQ(r.failed.size(), 1u) << r.failed.front().second.message();
  EXPECT_EQ(r.failed[0].first, changes.size() - 1);
  EXPECT_TRUE(is_map_full(r.failed[0].second)) << r.failed[0].second.message();
  EXPECT_EQ(r.applied, changes.size() - 1);

  auto entries = per_jail_entries();
  EXPECT_EQ(entries.size(), 2999u);
  for (size_t j = 0; j < 3; ++j) {
    auto held = bans(j);
    EXPECT_EQ(held.size(), j < 2 ? 1000u : 999u);
    for (int i = 0; i < 1000; i += 111) {
      if (j == 2 && i == 999)
        continue;
      EXPECT_EQ(held[address(i)], now + 1000 + i * 3 + Seconds(j)) << address(i);
      EXPECT_EQ(entries[std::make_pair(address(i), slot(j))], now + 1000 + i * 3 + Seconds(j))
          << address(i);
    }
  }
  EXPECT_TRUE(dropped(address(999).c_str(), 1));
  EXPECT_FALSE(dropped(address(999).c_str(), 2));
  EXPECT_TRUE(dropped(address(998).c_str(), 2));
}

} // namespace
