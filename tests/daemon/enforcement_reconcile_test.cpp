// SPDX-License-Identifier: GPL-2.0-only
// KernelEnforcer::reconcile() at start, on real pinned maps (no interface, no ipset mirror):
// empty maps take every live ban; maps left by an earlier daemon are made to match the
// store, keeping the bans only the kernel knew and dropping the expired ones.
#include <gtest/gtest.h>

#include <ctime>
#include <map>
#include <optional>

#include "tests/fixtures/pin_dir_fixture.h"
#include "tests/fixtures/requirements.h"
#include "userspace/enforce/kernel_enforcer.h"
#include "userspace/enforce/xdp_enforcer.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

constexpr const char *kJail = "mc-exim-1d";

IpPrefix P(const char *text) { return IpPrefix::parse(text).value(); }

JailConfig jail() {
  JailConfig j;
  j.name = kJail;
  j.port = "25,465,587";
  j.maxretry = 5;
  j.findtime = 600;
  j.bantime = 86400;
  return j;
}

class EnforcementReconcile : public PinDirTest {
protected:
  std::unique_ptr<KernelEnforcer> open() {
    KernelEnforcerOptions o;
    o.pin_root = pins_->path() + "/mcf2b";
    o.capacity = 1024;
    o.ipset_mirror = false;
    auto e = KernelEnforcer::open(o);
    EXPECT_TRUE(ok(e));
    EXPECT_TRUE(ok((*e)->configure_jails({jail()})));
    return std::move(*e);
  }

  // What the maps hold for the jail, prefix -> expiry, read by a fresh enforcer.
  std::map<IpPrefix, Seconds> held() {
    EnforcerOptions o;
    o.pin_root = pins_->path() + "/mcf2b";
    o.capacity = 1024;
    auto x = XdpEnforcer::open(o);
    EXPECT_TRUE(ok(x));
    auto bans = x->list_bans(kJail);
    EXPECT_TRUE(ok(bans));
    std::map<IpPrefix, Seconds> out;
    for (const auto &b : *bans)
      out[b.prefix] = b.expires;
    return out;
  }

  const Seconds now_ = std::time(nullptr);
};

TEST_F(EnforcementReconcile, EmptyMapsTakeEveryLiveBan) {
  {
    auto e = open();
    std::vector<EnforcedBan> want{{kJail, P("192.0.2.1"), now_ + 3600},
                                  {kJail, P("2001:db8::1"), 0},
                                  {kJail, P("198.51.100.0/24"), now_ + 60},
                                  {kJail, P("192.0.2.2"), now_ - 1}}; // ended: not reinstated
    auto kept = e->reconcile(want, now_);
    ASSERT_TRUE(ok(kept));
    EXPECT_TRUE(kept->empty());
  }
  std::map<IpPrefix, Seconds> expected{{P("192.0.2.1"), now_ + 3600},
                                        {P("2001:db8::1"), 0},
                                        {P("198.51.100.0/24"), now_ + 60}};
  EXPECT_EQ(held(), expected);
}

TEST_F(EnforcementReconcile, MapsOfAnEarlierDaemonAreMadeToMatchTheStore) {
  {
    auto e = open();
    std::vector<BanChange> earlier;
    for (auto [prefix, end] : {std::pair{"192.0.2.1", now_ + 3600},   // same end in the store
                               std::pair{"192.0.2.2", now_ + 3600},   // the store ends it later
                               std::pair{"192.0.2.3", now_ + 600},    // not in the store: kept
                               std::pair{"192.0.2.4", now_ - 5},      // ended: dropped
                               std::pair{"203.0.113.0/24", now_ + 60}}) // not in the store: kept
      earlier.push_back(BanChange::ban(kJail, P(prefix), end));
    e->apply(earlier);
  }
  std::map<IpPrefix, Seconds> kept_ends;
  {
    auto e = open();
    std::vector<EnforcedBan> want{{kJail, P("192.0.2.2"), now_ + 7200},
                                  {kJail, P("192.0.2.1"), now_ + 3600},
                                  {kJail, P("2001:db8::5"), 0}}; // only in the store: added
    auto kept = e->reconcile(want, now_);
    ASSERT_TRUE(ok(kept));
    for (const auto &r : *kept) {
      EXPECT_EQ(r.jail, kJail);
      EXPECT_TRUE(r.expires == 0 || r.expires > now_); // live
      kept_ends[r.prefix] = r.expires;
    }
  }
  std::map<IpPrefix, Seconds> expected_kept{{P("192.0.2.3"), now_ + 600},
                                            {P("203.0.113.0/24"), now_ + 60}};
  EXPECT_EQ(kept_ends, expected_kept);
  std::map<IpPrefix, Seconds> expected_held{{P("192.0.2.1"), now_ + 3600},
                                             {P("192.0.2.2"), now_ + 7200},
                                             {P("192.0.2.3"), now_ + 600},
                                             {P("203.0.113.0/24"), now_ + 60},
                                             {P("2001:db8::5"), 0}};
  EXPECT_EQ(held(), expected_held);
}

} // namespace
