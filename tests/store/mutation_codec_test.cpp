// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include "tests/fixtures/requirements.h"
#include "userspace/store/mutation_codec.h"

namespace mcf2b::testing {
namespace {

IpPrefix ip(std::string_view text) { return IpPrefix::parse(text).value(); }

TEST(MutationCodec, RoundTripsEveryKindIncludingAwkwardText) {
  BanRecord b{ip("2001:db8::/48"), "mc-exim-bl", 4, true, true, false, 1741606078, "gw\t1",
              1741606078, 0};
  JailConfig j = mailcleaner_default_jails()[0];
  j.logpath = "/var/log/with\\back\nslash\r";
  std::vector<Mutation> batch{PutBan{b},
                              Unban{ip("203.0.113.5"), "mc-exim-1d"},
                              AddWhitelist{ip("198.51.100.0/24"), "mc-exim"},
                              RemoveWhitelist{ip("192.0.2.1"), "mc-ssh-1d"},
                              PutJail{j},
                              RemoveJail{"custom"},
                              PutSetting{"ignoreip", "192.0.2.0/24 2001:db8::/32"},
                              PutSetting{"empty", ""},
                              ResetBanCounts{"mc-exim-1d"},
                              PutMailConf{{"a@example.com", "Mail\tCleaner", "b@example.com"}}};
  std::string text = encode_batch(batch);
  auto decoded = decode_batch(text);
  ASSERT_TRUE(ok(decoded));
  ASSERT_EQ(decoded->size(), batch.size());
  EXPECT_EQ(encode_batch(*decoded), text);
  const auto &ban = std::get<PutBan>((*decoded)[0]).ban;
  EXPECT_EQ(ban.ip, b.ip);
  EXPECT_EQ(ban.host, "gw\t1");
  EXPECT_EQ(ban.count, 4);
  EXPECT_TRUE(ban.blacklisted);
  EXPECT_EQ(std::get<PutJail>((*decoded)[4]).jail.logpath, j.logpath);
  EXPECT_EQ(std::get<PutJail>((*decoded)[4]).jail.bantime, j.bantime);
  EXPECT_EQ(std::get<PutSetting>((*decoded)[7]).value, "");
}

TEST(MutationCodec, RejectsMalformedJournalText) {
  for (const char *text :
       {"ban\t1.2.3.4\n", "unban\t1.2.3.4\tjail", "unban\t999.1.1.1\tjail\n",
        "launch\tmissiles\n", "setting_put\tk\tv\\q\n", "setting_put\tk\tv\\\n",
        "ban\t1.2.3.4\tj\tx\t1\t0\t0\t0\th\t0\t0\n"}) {
    auto r = decode_batch(text);
    EXPECT_FALSE(r.ok()) << text;
    if (!r.ok()) {
      EXPECT_NE(r.error().what.find("journal line"), std::string::npos) << r.error().what;
    }
  }
  auto empty = decode_batch("");
  ASSERT_TRUE(ok(empty));
  EXPECT_TRUE(empty->empty());
}

} // namespace
} // namespace mcf2b::testing
