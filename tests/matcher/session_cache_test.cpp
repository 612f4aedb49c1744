// SPDX-License-Identifier: GPL-2.0-only
// The <F-MLFID> session cache: sessions are found by id until they are erased, grow
// older than the maximum age, or are the oldest when the cache is full; erasing from the
// open-addressing index leaves every other session reachable.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "matcher/session_cache.h"

namespace mcf2b::matcher {
namespace {

constexpr size_t kFields = 12;

TEST(SessionCache, AStoredSessionKeepsItsFieldsAndUsers) {
  SessionCache cache(8, 300, kFields);
  Session &s = cache.insert(" host sshd[42]: ", 100);
  s.fields.set(field::ip4, "192.0.2.7");
  s.add_user("root");
  s.add_user("root");
  EXPECT_FALSE(s.many_users);
  Session *found = cache.find(" host sshd[42]: ", 150);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->fields.get(field::ip4), "192.0.2.7");
  EXPECT_FALSE(found->fields.has(field::user));
  found->add_user("admin");
  EXPECT_TRUE(found->many_users);
  EXPECT_EQ(cache.find(" host sshd[43]: ", 150), nullptr);
}

TEST(SessionCache, LongIdsAreToldApartLikeShortOnes) {
  SessionCache cache(8, 300, kFields);
  std::string prefix(100, 'x');
  cache.insert(prefix + "sshd[1]: ", 100).fields.set(field::ip4, "192.0.2.1");
  cache.insert(prefix + "sshd[2]: ", 100).fields.set(field::ip4, "192.0.2.2");
  ASSERT_NE(cache.find(prefix + "sshd[1]: ", 100), nullptr);
  EXPECT_EQ(cache.find(prefix + "sshd[1]: ", 100)->fields.get(field::ip4), "192.0.2.1");
  EXPECT_EQ(cache.find(prefix + "sshd[2]: ", 100)->fields.get(field::ip4), "192.0.2.2");
  EXPECT_EQ(cache.find(prefix + "sshd[3]: ", 100), nullptr);
  EXPECT_EQ(cache.find(prefix, 100), nullptr);
}

TEST(SessionCache, ASessionOlderThanTheMaximumAgeIsDropped) {
  SessionCache cache(8, 300, kFields);
  cache.insert("a", 100);
  EXPECT_NE(cache.find("a", 400), nullptr);
  EXPECT_EQ(cache.find("a", 401), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(SessionCache, AFullCacheDropsExpiredThenOldestSessions) {
  SessionCache cache(3, 300, kFields);
  cache.insert("a", 100);
  cache.insert("b", 200);
  cache.insert("c", 300);
  cache.insert("a", 310); // stored again: now the newest
  cache.insert("d", 320); // full: b, the oldest, goes
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find("b", 320), nullptr);
  EXPECT_NE(cache.find("a", 320), nullptr);
  EXPECT_NE(cache.find("c", 320), nullptr);
  EXPECT_NE(cache.find("d", 320), nullptr);
  // Everything but d has expired by 615: all of it goes before the insertion.
  cache.insert("e", 615);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.find("d", 615), nullptr);
}

TEST(SessionCache, ReinsertingClearsTheSession) {
  SessionCache cache(4, 300, kFields);
  Session &s = cache.insert("a", 1);
  s.fields.set(field::nofail, "x");
  s.add_user("u");
  Session &again = cache.insert("a", 2);
  EXPECT_FALSE(again.fields.has(field::nofail));
  EXPECT_FALSE(again.has_user);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(SessionCache, ErasingKeepsEveryOtherSessionReachable) {
  // Many ids in a small index collide; random inserts and erases against a map.
  SessionCache cache(64, 1'000'000, kFields);
  std::map<std::string, std::string> model;
  std::mt19937 rng(4);
  for (int step = 0; step < 20000; ++step) {
    std::string id = "sshd[" + std::to_string(rng() % 100) + "]";
    Session *s = cache.find(id, step);
    ASSERT_EQ(s != nullptr, model.count(id) == 1) << id;
    if (s) {
      EXPECT_EQ(s->fields.get(field::user), model[id]);
      if (rng() % 2) {
        cache.erase(*s);
        model.erase(id);
      }
    } else if (model.size() < 64) {
      cache.insert(id, step).fields.set(field::user, id + "-user");
      model[id] = id + "-user";
    }
    ASSERT_EQ(cache.size(), model.size());
  }
}

} // namespace
} // namespace mcf2b::matcher
