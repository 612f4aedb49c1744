// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/controller/jail_catalog.h"

#include <gtest/gtest.h>

namespace mcf2b {
namespace {

JailCatalog defaults() {
  JailCatalog catalog;
  for (const auto &j : mailcleaner_default_jails(true))
    catalog.upsert(j);
  return catalog;
}

TEST(JailCatalog, FamiliesHaveTierSlotsAndABlacklistJail) {
  JailCatalog catalog = defaults();
  EXPECT_EQ(catalog.size(), 15u);
  EXPECT_EQ(catalog.family_count(), 3u);
  auto exim = catalog.find_family("mc-exim");
  ASSERT_TRUE(exim);
  const auto &f = catalog.family(*exim);
  ASSERT_TRUE(f.counting[0] && f.counting[3] && f.blacklist);
  EXPECT_EQ(catalog.config(*f.counting[0]).name, "mc-exim-1d");
  EXPECT_EQ(catalog.config(*f.counting[3]).name, "mc-exim-1y");
  EXPECT_EQ(catalog.config(*f.blacklist).name, "mc-exim-bl");
  EXPECT_FALSE(f.counting[4]);
  // The largest maxretry and findtime among the enabled tiers (-bl does not count).
  EXPECT_EQ(f.capacity, 20u);
  EXPECT_EQ(f.horizon, 5356800);
}

TEST(JailCatalog, RootNamesStandForTheirTiers) {
  JailCatalog catalog = defaults();
  auto tiers = catalog.resolve("mc-ssh", JailCatalog::Scope::tiers);
  ASSERT_TRUE(tiers.ok());
  EXPECT_EQ(tiers->size(), 4u);
  auto all = catalog.resolve("mc-ssh", JailCatalog::Scope::tiers_and_blacklist);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 5u);
  auto one = catalog.resolve("mc-ssh-1w", JailCatalog::Scope::tiers_and_blacklist);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(catalog.config(one->front()).name, "mc-ssh-1w");
}

TEST(JailCatalog, UnknownNamesListTheClosest) {
  JailCatalog catalog = defaults();
  auto r = catalog.resolve("mc-exin-1d", JailCatalog::Scope::tiers);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().what.find("unknown jail 'mc-exin-1d'"), std::string::npos) << r.error().what;
  EXPECT_NE(r.error().what.find("closest: mc-exim-1d"), std::string::npos) << r.error().what;
  auto names = catalog.closest_names("mc-webath");
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "mc-webauth");
}

TEST(JailCatalog, MissingBlacklistJailIsCreatedOnTheFamilysPorts) {
  JailCatalog catalog;
  JailConfig custom;
  custom.name = "postfix-sasl";
  custom.port = "25,587";
  custom.maxretry = 4;
  custom.findtime = 600;
  catalog.upsert(custom);
  auto created = catalog.add_missing_blacklist_jails();
  ASSERT_EQ(created.size(), 1u);
  const JailConfig &bl = catalog.config(created.front());
  EXPECT_EQ(bl.name, "postfix-sasl-bl");
  EXPECT_EQ(bl.port, "25,587");
  EXPECT_TRUE(bl.permanent());
  EXPECT_FALSE(bl.enabled);
  EXPECT_TRUE(catalog.is_blacklist_jail(created.front()));
  EXPECT_TRUE(catalog.add_missing_blacklist_jails().empty());
  // A bare custom name counts failures in its own slot.
  EXPECT_EQ(catalog.tier_of(*catalog.find("postfix-sasl")), 4);
}

TEST(JailCatalog, DisabledTiersLeaveTheWindowShape) {
  JailCatalog catalog = defaults();
  auto exim = *catalog.find_family("mc-exim");
  catalog.mutable_config(*catalog.find("mc-exim-1y")).enabled = false;
  catalog.refresh(exim);
  EXPECT_EQ(catalog.family(exim).capacity, 15u);
  EXPECT_EQ(catalog.family(exim).horizon, 1209600);
}

} // namespace
} // namespace mcf2b
