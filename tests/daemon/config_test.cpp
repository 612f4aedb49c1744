// SPDX-License-Identifier: GPL-2.0-only
// The daemon's config file and the jail folder: what they set, and bad input reported
// with file and line without stopping the good parts.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"
#include "userspace/daemon/daemon_config.h"
#include "userspace/daemon/jail_files.h"

using namespace mcf2b;
using mcf2b::testing::ok;
using mcf2b::testing::TempDir;

namespace {

void write(const std::string &path, const std::string &text) { std::ofstream(path) << text; }

TEST(DaemonConfig, ReadsEveryKindOfKey) {
  auto dir = TempDir::create("cfg");
  ASSERT_TRUE(ok(dir));
  write(dir->file("mcf2bd.conf"), "[mcf2bd]\n"
                                  "state = mariadb://mc@db/mc_config\n"
                                  "journal = /var/lib/mcf2b/journal.sqlite3\n"
                                  "interface = eth0, eth1\n"
                                  "metrics = 127.0.0.1:9731\n"
                                  "ignoreip = 192.0.2.0/24 2001:db8::1\n"
                                  "cluster_nodes = 198.51.100.1, 198.51.100.2\n"
                                  "max_tracked = 5000\n"
                                  "enable_default_jails = yes\n"
                                  "usedns = warn\n"
                                  "log_level = debug\n");
  DaemonConfig c;
  ASSERT_TRUE(ok(read_daemon_config(dir->file("mcf2bd.conf"), c)));
  EXPECT_EQ(c.state_url, "mariadb://mc@db/mc_config");
  EXPECT_EQ(c.interfaces, (std::vector<std::string>{"eth0", "eth1"}));
  ASSERT_TRUE(c.metrics_address.has_value());
  EXPECT_EQ(c.metrics_port, 9731);
  ASSERT_EQ(c.ignore_list.size(), 2u);
  EXPECT_EQ(c.ignore_list[0].to_string(), "192.0.2.0/24");
  EXPECT_EQ(c.cluster_nodes.size(), 2u);
  EXPECT_EQ(c.max_tracked, 5000u);
  EXPECT_TRUE(c.enable_default_jails);
  EXPECT_EQ(c.log_level, LogLevel::debug);
  EXPECT_EQ(c.use_dns, matcher::UseDns::warn);
  EXPECT_EQ(DaemonConfig{}.use_dns, matcher::UseDns::no) << "names are not resolved by default";
  EXPECT_EQ(c.socket_path, "/run/mcf2b/mcf2bd.sock") << "unset keys keep their defaults";
}

TEST(DaemonConfig, BadValuesNameTheFileAndLine) {
  auto dir = TempDir::create("cfg");
  ASSERT_TRUE(ok(dir));
  const std::string path = dir->file("mcf2bd.conf");
  for (const auto &[text, needle] : std::vector<std::pair<std::string, std::string>>{
           {"[mcf2bd]\nmetrics = 0.0.0.0:9731\n", "loopback"},
           {"[mcf2bd]\n\nignoreip = 999.1.1.1\n", "mcf2bd.conf:3"},
           {"[mcf2bd]\nfrobnicate = 1\n", "unknown key 'frobnicate'"},
           {"[mcf2bd]\nmax_tracked = -5\n", "max_tracked"},
           {"[mcf2bd]\nusedns = maybe\n", "expected yes, warn, no or raw"},
           {"[other]\nx = 1\n", "unknown section"}}) {
    write(path, text);
    DaemonConfig c;
    auto st = read_daemon_config(path, c);
    ASSERT_FALSE(st.ok()) << text;
    EXPECT_NE(st.error().message().find(needle), std::string::npos) << st.error().message();
  }
  DaemonConfig c;
  EXPECT_FALSE(read_daemon_config(dir->file("missing.conf"), c).ok());
}

TEST(JailFiles, ImportsJailsFamilyRootsAndWhitelistsAndSkipsOnlyTheBadJail) {
  auto dir = TempDir::create("jails");
  ASSERT_TRUE(ok(dir));
  write(dir->file("10-mailcleaner.conf"), "[mc-exim]\n"
                                          "enabled = true\n"
                                          "logpath = /var/log/exim/rejectlog\n"
                                          "ignoreip = 192.0.2.10\n"
                                          "\n"
                                          "[postfix-sasl]\n"
                                          "enabled = true\n"
                                          "filter = postfix[mode=auth]\n"
                                          "logpath = /var/log/mail.log\n"
                                          "port = smtp,465,submission\n"
                                          "bantime = 1d\n"
                                          "findtime = 1h\n"
                                          "\n"
                                          "[broken]\n"
                                          "filter = sshd\n"
                                          "logpath = /var/log/auth.log\n"
                                          "bantime = forever\n");
  write(dir->file("20-override.local"), "[mc-exim-1d]\nmaxretry = 4\n[mc-exim]\nmaxretry = 1\n");
  auto import = import_jail_files(dir->path(), mailcleaner_default_jails());
  ASSERT_EQ(import.files.size(), 2u);
  std::map<std::string, JailConfig> by_name;
  for (const auto &j : import.jails)
    by_name[j.name] = j;
  ASSERT_TRUE(by_name.count("mc-exim-1w"));
  EXPECT_TRUE(by_name["mc-exim-1w"].enabled);
  EXPECT_EQ(by_name["mc-exim-1w"].logpath, "/var/log/exim/rejectlog");
  EXPECT_EQ(by_name["mc-exim-1w"].maxretry, 10) << "a family root keeps each tier's own values";
  EXPECT_EQ(by_name["mc-exim-1d"].maxretry, 4) << ".local files come after .conf files";
  ASSERT_TRUE(by_name.count("postfix-sasl"));
  EXPECT_EQ(by_name["postfix-sasl"].bantime, 86400);
  EXPECT_EQ(by_name["postfix-sasl"].findtime, 3600);
  EXPECT_FALSE(by_name.count("broken"));
  ASSERT_EQ(import.errors.size(), 2u);
  EXPECT_NE(import.errors[0].message().find("10-mailcleaner.conf:17"), std::string::npos)
      << import.errors[0].message();
  EXPECT_NE(import.errors[1].message().find("cannot be set on a family root"), std::string::npos)
      << import.errors[1].message();
  ASSERT_EQ(import.whitelist.size(), 1u);
  EXPECT_EQ(import.whitelist[0].first, "mc-exim");
  EXPECT_TRUE(import_jail_files(dir->file("none"), {}).jails.empty());
}

TEST(JailFiles, BadNamesAndValuesAreRefusedWithFileAndLineAndTheOthersStay) {
  auto dir = TempDir::create("jails");
  ASSERT_TRUE(ok(dir));
  std::string ports;
  for (int p = 1000; p < 3999; ++p)
    ports += (ports.empty() ? "" : ",") + std::to_string(p);
  std::string text;
  const std::vector<std::string> bad = {"name with spaces", "../../etc/evil", "zz;id",
                                        "zz$(id)", "zz,comma", "-x", ".", "..",
                                        "twenty-eight-characters-abcd", "many-ports"};
  for (const auto &name : bad)
    text += "[" + name + "]\nenabled = true\nfilter = sshd\nlogpath = /var/log/auth.log\n" +
            (name == "many-ports" ? "port = " + ports + "\n" : std::string()) + "\n";
  text += "[good]\nenabled = true\nfilter = sshd\nlogpath = /var/log/auth.log\n";
  write(dir->file("jails.conf"), text);
  auto import = import_jail_files(dir->path(), mailcleaner_default_jails());
  ASSERT_EQ(import.jails.size(), 1u);
  EXPECT_EQ(import.jails[0].name, "good");
  ASSERT_EQ(import.errors.size(), bad.size());
  for (const auto &e : import.errors)
    EXPECT_NE(e.message().find("jails.conf:"), std::string::npos) << e.message();
  EXPECT_NE(import.errors.back().message().find("port"), std::string::npos)
      << import.errors.back().message();
}

TEST(JailFiles, UseDnsIsKeptPerJailAndAFamilyRootSetsItOnEveryTier) {
  auto dir = TempDir::create("jails");
  ASSERT_TRUE(ok(dir));
  write(dir->file("10-dns.conf"), "[mc-ssh]\n"
                                  "usedns = warn\n"
                                  "\n"
                                  "[postfix-sasl]\n"
                                  "enabled = true\n"
                                  "filter = postfix[mode=auth]\n"
                                  "logpath = /var/log/mail.log\n"
                                  "usedns = yes\n"
                                  "\n"
                                  "[dovecot]\n"
                                  "enabled = true\n"
                                  "filter = dovecot\n"
                                  "logpath = /var/log/mail.log\n"
                                  "usedns = maybe\n");
  write(dir->file("20-override.local"), "[mc-ssh-1y]\nusedns = no\n");
  auto import = import_jail_files(dir->path(), mailcleaner_default_jails());
  const std::map<std::string, matcher::UseDns> expected = {
      {"mc-ssh-1d", matcher::UseDns::warn},  {"mc-ssh-1w", matcher::UseDns::warn},
      {"mc-ssh-1m", matcher::UseDns::warn},  {"mc-ssh-1y", matcher::UseDns::no},
      {"mc-ssh-bl", matcher::UseDns::warn},  {"postfix-sasl", matcher::UseDns::yes}};
  EXPECT_EQ(import.use_dns, expected);
  ASSERT_EQ(import.errors.size(), 1u);
  EXPECT_NE(import.errors[0].message().find("10-dns.conf:14"), std::string::npos)
      << import.errors[0].message();
  EXPECT_NE(import.errors[0].message().find("usedns must be yes, warn, no or raw, not 'maybe'"),
            std::string::npos)
      << import.errors[0].message();
}

} // namespace
