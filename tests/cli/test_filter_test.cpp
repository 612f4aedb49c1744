// SPDX-License-Identifier: GPL-2.0-only
// mcf2b-ctl test-filter: host names are resolved only when --use-dns asks for it (after
// the scan, each address of a name a match of its own), and a <SUBNET> hit shows its
// prefix.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "control/commands/test_filter.h"
#include "tests/fixtures/temp_dir.h"

namespace mcf2b::control {
namespace {

struct Outcome {
  int status;
  std::string out, err;
};

class TestFilter : public ::testing::Test {
protected:
  void SetUp() override {
    auto d = mcf2b::testing::TempDir::create("test-filter");
    ASSERT_TRUE(d);
    dir.emplace(std::move(*d));
    std::ofstream(dir->file("names.conf"))
        << "[Definition]\nfailregex = auth failure from <HOST>$\n";
    std::ofstream(dir->file("nets.conf")) << "[Definition]\nfailregex = spam source <SUBNET>$\n";
    std::ofstream(dir->file("names.log"))
        << "2026-11-21 10:00:00 auth failure from 192.0.2.50\n"
        << "2026-11-21 10:00:01 auth failure from mail.example\n"
        << "2026-11-21 10:00:02 auth failure from nowhere.invalid\n";
    std::ofstream(dir->file("nets.log")) << "2026-11-21 10:00:00 spam source 192.0.2.77/24\n"
                                         << "2026-11-21 10:00:01 spam source 192.0.2.1/33\n"
                                         << "2026-11-21 10:00:02 spam source 2001:db8::1\n";
  }

  Outcome run(const std::string &log, const std::string &filter, matcher::UseDns use_dns) {
    TestFilterOptions o;
    o.log_file = dir->file(log);
    o.filter = dir->file(filter);
    o.json = true;
    o.zone = "UTC";
    o.now = 1'800'000'000;
    o.use_dns = use_dns;
    o.lookup = [this](const std::string &name) -> std::optional<std::vector<IpAddress>> {
      asked.push_back(name);
      if (name == "mail.example")
        return std::vector<IpAddress>{*IpAddress::parse("198.51.100.7"),
                                      *IpAddress::parse("2001:db8::7")};
      return std::nullopt;
    };
    std::ostringstream out, err;
    int status = run_test_filter(o, out, err);
    return {status, out.str(), err.str()};
  }

  std::optional<mcf2b::testing::TempDir> dir;
  std::vector<std::string> asked;
};

TEST_F(TestFilter, ByDefaultAHostNameIsShownAsWrittenAndNeverLookedUp) {
  Outcome r = run("names.log", "names.conf", matcher::UseDns::no);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(asked.empty());
  EXPECT_NE(r.out.find("{\"line\": 2, \"host\": \"mail.example\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("198.51.100.7"), std::string::npos);
}

TEST_F(TestFilter, WithUseDnsYesEachAddressOfANameIsAMatch) {
  Outcome r = run("names.log", "names.conf", matcher::UseDns::yes);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(asked, (std::vector<std::string>{"mail.example", "nowhere.invalid"}));
  EXPECT_NE(r.out.find("{\"line\": 1, \"host\": \"192.0.2.50\", \"time\": 1795255200, \"rule\": 0}, "
                       "{\"line\": 2, \"host\": \"198.51.100.7\", \"time\": 1795255201, \"rule\": 0, "
                       "\"dns\": \"mail.example\"}, "
                       "{\"line\": 2, \"host\": \"2001:db8::7\", \"time\": 1795255201, \"rule\": 0, "
                       "\"dns\": \"mail.example\"}]"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err; // yes resolves quietly
}

TEST_F(TestFilter, WithUseDnsWarnEachResolutionIsReported) {
  Outcome r = run("names.log", "names.conf", matcher::UseDns::warn);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.err.find("mail.example by a DNS lookup: 198.51.100.7, 2001:db8::7"),
            std::string::npos)
      << r.err;
}

TEST_F(TestFilter, ASubnetHitShowsItsPrefixAndAnImpossibleOneIsUnparsable) {
  Outcome r = run("nets.log", "nets.conf", matcher::UseDns::no);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"unparsable\": 1,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("{\"line\": 1, \"host\": \"192.0.2.0/24\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("{\"line\": 3, \"host\": \"2001:db8::1\""), std::string::npos) << r.out;
}

} // namespace
} // namespace mcf2b::control
