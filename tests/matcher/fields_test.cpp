// SPDX-License-Identifier: GPL-2.0-only
// A line's fields: presence as fail2ban's groupdict() has it (absent, present and empty,
// present), for the first 64 fields, held in the object, and for those beyond.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "matcher/fields.h"

namespace mcf2b::matcher {
namespace {

std::vector<std::pair<FieldId, std::string>> listed(const Fields &f) {
  std::vector<std::pair<FieldId, std::string>> out;
  f.for_each([&](FieldId id, std::string_view value) { out.emplace_back(id, value); });
  return out;
}

TEST(Fields, PresentEmptyAndAbsentAreTold) {
  Fields f;
  f.resize(12);
  EXPECT_TRUE(f.empty());
  f.set(field::user, "");
  f.set(field::ip4, "192.0.2.7");
  EXPECT_TRUE(f.has(field::user));
  EXPECT_FALSE(f.truthy(field::user));
  EXPECT_NE(f.get(field::user).data(), nullptr);
  EXPECT_EQ(f.get(field::dns).data(), nullptr);
  EXPECT_TRUE(f.pop(field::ip4));
  EXPECT_FALSE(f.has(field::ip4));
  EXPECT_FALSE(f.pop(field::user)); // present but empty: not truthy
  EXPECT_TRUE(f.empty());
}

TEST(Fields, FieldsBeyondTheFirstWordBehaveAlike) {
  Fields a, b;
  a.resize(200);
  b.resize(200);
  a.set(3, "three");
  a.set(64, "sixty-four");
  a.set(199, "");
  EXPECT_EQ(listed(a), (std::vector<std::pair<FieldId, std::string>>{
                           {3, "three"}, {64, "sixty-four"}, {199, ""}}));
  b.set(130, "b");
  b.assign(a);
  EXPECT_EQ(listed(b), listed(a));
  b.set(130, "b");
  a.update_from(b);
  EXPECT_TRUE(a.has(130));
  a.pop(3);
  a.pop(64);
  a.pop(130);
  EXPECT_FALSE(a.empty());
  a.pop(199);
  EXPECT_TRUE(a.empty());
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_FALSE(b.has(64));
}

} // namespace
} // namespace mcf2b::matcher
