// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include <map>

#include "userspace/model/jail.h"

using namespace mcf2b;

namespace {

TEST(JailFamily, StripsTierAndBlacklistSuffixes) {
  EXPECT_EQ(jail_family("mc-exim-1d"), "mc-exim");
  EXPECT_EQ(jail_family("mc-exim-1y"), "mc-exim");
  EXPECT_EQ(jail_family("mc-ssh-bl"), "mc-ssh");
  EXPECT_EQ(jail_family("mc-exim"), "mc-exim");
  EXPECT_EQ(jail_family("-1d"), "-1d");
  EXPECT_TRUE(is_tier_name("mc-webauth-1m"));
  EXPECT_FALSE(is_tier_name("mc-webauth"));
}

TEST(DefaultJails, AreMailCleanersFifteenWithARealYear) {
  auto jails = mailcleaner_default_jails();
  ASSERT_EQ(jails.size(), 15u);
  std::map<std::string, JailConfig> by_name;
  for (const auto &j : jails)
    by_name[j.name] = j;
  EXPECT_EQ(by_name["mc-ssh-1d"].maxretry, 3);
  EXPECT_EQ(by_name["mc-ssh-1y"].maxretry, 12);
  EXPECT_EQ(by_name["mc-exim-1w"].maxretry, 10);
  EXPECT_EQ(by_name["mc-exim-1w"].findtime, 172800);
  EXPECT_EQ(by_name["mc-webauth-1m"].bantime, 2678400);
  EXPECT_EQ(by_name["mc-exim-1y"].bantime, 31536000);
  EXPECT_EQ(by_name["mc-exim-1y"].findtime, 5356800);
  EXPECT_EQ(by_name["mc-exim-1d"].port, "25,465,587");
  EXPECT_EQ(by_name["mc-exim-bl"].bantime, -1);
  EXPECT_EQ(by_name["mc-exim-bl"].maxretry, 1);
  EXPECT_EQ(by_name["mc-webauth-1d"].filter, "mc-webauth-filter");
  EXPECT_FALSE(by_name["mc-ssh-1d"].enabled);
}

TEST(ParseDuration, AcceptsFail2banUnits) {
  EXPECT_EQ(parse_duration("600"), 600);
  EXPECT_EQ(parse_duration("10m"), 600);
  EXPECT_EQ(parse_duration("1h"), 3600);
  EXPECT_EQ(parse_duration("1d"), 86400);
  EXPECT_EQ(parse_duration("1w"), 604800);
  EXPECT_EQ(parse_duration("1mo"), 2678400);
  EXPECT_EQ(parse_duration("1y"), 31536000);
  EXPECT_EQ(parse_duration("1h30m"), 5400);
  EXPECT_EQ(parse_duration("-1"), -1);
  EXPECT_FALSE(parse_duration("").has_value());
  EXPECT_FALSE(parse_duration("10x").has_value());
  EXPECT_FALSE(parse_duration("-5").has_value());
  EXPECT_FALSE(parse_duration("abc").has_value());
}

TEST(ParseDuration, ADurationBeyondSecondsIsRefusedNotWrapped) {
  // Found by the jail_files fuzzer: 177777777777777777 months overflowed the product.
  EXPECT_FALSE(parse_duration("177777777777777777months").has_value());
  EXPECT_FALSE(parse_duration("9223372036854775807s 1s").has_value());
  EXPECT_EQ(parse_duration("9223372036854775807"), 9223372036854775807LL);
}

TEST(ParsePortList, NumbersServicesRangesAndAll) {
  std::string err;
  EXPECT_EQ(*parse_port_list("25,465,587", &err), (std::vector<uint16_t>{25, 465, 587}));
  EXPECT_EQ(*parse_port_list("ssh", &err), (std::vector<uint16_t>{22}));
  EXPECT_EQ(*parse_port_list("8000:8002", &err), (std::vector<uint16_t>{8000, 8001, 8002}));
  EXPECT_TRUE(parse_port_list("", &err)->empty());
  EXPECT_TRUE(parse_port_list("0:65535", &err)->empty());
  EXPECT_FALSE(parse_port_list("70000", &err).has_value());
  EXPECT_FALSE(parse_port_list("nosuchservice", &err).has_value());
  EXPECT_NE(err.find("nosuchservice"), std::string::npos);
}

TEST(ParsePortList, ServiceNamesWithADashAreNotRanges) {
  // fail2ban's stock ftp jails: "port = ftp,ftp-data,ftps,ftps-data".
  std::string err;
  auto ports = parse_port_list("ftp,ftp-data,ftps,ftps-data", &err);
  ASSERT_TRUE(ports.has_value()) << err;
  EXPECT_EQ(*ports, (std::vector<uint16_t>{21, 20, 990, 989}));
  EXPECT_EQ(*parse_port_list("8000-8002", &err), (std::vector<uint16_t>{8000, 8001, 8002}));
  EXPECT_FALSE(parse_port_list("no-such-service", &err).has_value());
}

} // namespace
