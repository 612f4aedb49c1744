// SPDX-License-Identifier: GPL-2.0-only
// Our shipped filters (matcher/filters): every MailCleaner message kind matches with the
// right host and time, modern OpenSSH lines match, and no line of the injection corpus
// (addresses hidden in HELO names, user names, set_id, sender, input=, ident strings,
// dumped headers) ever yields the injected address.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "matcher/log_matcher.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"

namespace mcf2b::matcher {
namespace {

using mcf2b::testing::ok;

constexpr int64_t kNow = 1741608000; // 2025-03-10 12:00:00 UTC
const char *const kInjected = "198.51.100.66";

FilterSearchPath ours() { return FilterSearchPath{{MCF2B_TEST_FILTER_DIR}}; }

// One Hyperscan database cache for the whole test: every case builds a fresh matcher
// (fresh session state), only the first one of a filter compiles.
const std::string &cache_dir() {
  static auto dir = mcf2b::testing::TempDir::create("hscache");
  EXPECT_TRUE(ok(dir));
  static const std::string path = dir->path();
  return path;
}

struct Seen {
  std::string host;
  int64_t time;
  uint32_t rule;
};

std::vector<Seen> run(const std::string &filter, const std::string &text,
                      const std::string &zone = "UTC") {
  auto def = load_filter(filter, ours());
  EXPECT_TRUE(ok(def)) << filter;
  if (!def)
    return {};
  MatcherOptions options;
  auto tz = TimeZone::load(zone);
  EXPECT_TRUE(ok(tz));
  options.zone = *tz;
  options.fixed_now = kNow;
  options.cache_dir = cache_dir();
  auto matcher = LogMatcher::create({std::move(*def)}, options);
  EXPECT_TRUE(ok(matcher)) << filter;
  if (!matcher)
    return {};
  std::vector<Seen> seen;
  matcher->scan_all(text, [&](const Match &m) {
    seen.push_back({m.host_kind == HostKind::address ? m.address.to_string()
                                                     : std::string(m.host_text),
                    m.time, m.rule});
  });
  return seen;
}

struct Case {
  const char *line;
  const char *host; // nullptr: must not match
};

void expect_cases(const std::string &filter, const std::vector<Case> &cases) {
  for (const Case &c : cases) {
    auto seen = run(filter, std::string(c.line) + "\n");
    if (!c.host) {
      EXPECT_TRUE(seen.empty()) << filter << " matched (" << (seen.empty() ? "" : seen[0].host)
                                << ") a line it must not:\n  " << c.line;
      continue;
    }
    ASSERT_EQ(seen.size(), 1u) << filter << " did not match exactly once:\n  " << c.line;
    EXPECT_EQ(seen[0].host, c.host) << c.line;
  }
}

TEST(MailCleanerFilters, EximEveryMessageKind) {
  expect_cases(
      "mc-exim-filter",
      {
          // The examples of mailcleaner.md.
          {"2025-03-10 11:27:58 H=(WIN-ABC123) [203.0.113.5] F=<spam@example.org> rejected RCPT "
           "<bob@example.com>: relay not permitted",
           "203.0.113.5"},
          {"2025-03-10 11:27:58 H=mx.bad.example [203.0.113.5] sender verify fail for "
           "<fake@bad.example>: Unrouteable address",
           "203.0.113.5"},
          {"2025-03-10 11:27:58 fixed_login authenticator failed for (User) [203.0.113.5]: 535 "
           "Incorrect authentication data (set_id=admin@example.com)",
           "203.0.113.5"},
          {"2025-03-10 11:27:58 SMTP call from (helo) [203.0.113.5] dropped: too many nonmail "
           "commands (last was \"RSET\")",
           "203.0.113.5"},
          // sender verify fail, every reason
          {"2025-03-10 11:27:58 H=(helo.example) [203.0.113.6] sender verify fail for "
           "<a@b.example>: Unknown user",
           "203.0.113.6"},
          {"2025-03-10 11:27:58 H=(helo.example) [203.0.113.7] sender verify fail for "
           "<a@b.example>: all relevant MX records point to non-existent hosts",
           "203.0.113.7"},
          // authenticators: any driver, the [IP]:port and I=[ip]:port forms
          {"2025-03-10 11:27:58 fixed_plain authenticator failed for (User) [203.0.113.8]:52314: "
           "535 Incorrect authentication data (set_id=x@example.com)",
           "203.0.113.8"},
          {"2025-03-10 11:27:58 fixed_login authenticator failed for (User) [203.0.113.9]:52314 "
           "I=[192.0.2.25]:587: 535 Incorrect authentication data (set_id=bob)",
           "203.0.113.9"},
          {"2025-03-10 11:27:58 login authenticator failed for mail.example (helo) "
           "[203.0.113.10]: 535 Incorrect authentication data",
           "203.0.113.10"},
          // rejected RCPT, every reason
          {"2025-03-10 11:27:58 H=(helo) [203.0.113.11] F=<a@b.example> rejected RCPT "
           "<c@d.example>: Unknown user",
           "203.0.113.11"},
          {"2025-03-10 11:27:58 H=(helo) [203.0.113.12] F=<a@b.example> rejected RCPT "
           "<c@d.example>: Sender verify failed",
           "203.0.113.12"},
          {"2025-03-10 11:27:58 H=(helo) [203.0.113.13] F=<a@b.example> rejected RCPT "
           "<c@d.example>: LDAP verification failed for <c@d.example>",
           "203.0.113.13"},
          {"2025-03-10 11:27:58 H=(helo) [203.0.113.14]:41234 I=[192.0.2.25]:25 "
           "F=<a@b.example> rejected RCPT <c@d.example>: relay not permitted",
           "203.0.113.14"},
          {"2025-03-10 11:27:58 H=(helo) [203.0.113.15] F=<a@b.example> rejected RCPT "
           "<c@d.example>: 550 5.1.1 <c@d.example>: Recipient address rejected: User unknown "
           "in virtual mailbox table",
           "203.0.113.15"},
          {"2025-03-10 11:27:58 H=(helo) [2001:db8::5]:25 F=<a@b.example> rejected RCPT "
           "<c@d.example>: relay not permitted",
           "2001:db8::5"},
          {"2025-03-10 11:27:58 [12345] H=(helo) [203.0.113.16] F=<> rejected RCPT "
           "<c@d.example>: relay not permitted",
           "203.0.113.16"},
          // synchronization error, local_scan
          {"2025-03-10 11:27:58 SMTP protocol synchronization error (input sent without "
           "waiting for greeting): rejected connection from H=[203.0.113.17] input=\"GET / "
           "HTTP/1.1\"",
           "203.0.113.17"},
          {"2025-03-10 11:27:58 1tXyZa-000abc-12 F=<from@x.example> H=(helo) [203.0.113.18] "
           "rejected by local_scan(): message looks like spam",
           "203.0.113.18"},
          // MailCleaner's stage-1 ACL: log_message = LDAP verification failed for
          // $local_part@$domain, a bare address (its filter's rule 3)
          {"2025-03-10 11:27:58 H=mx.bad.example [203.0.113.30] F=<a@b.example> rejected RCPT "
           "<x@example.com>: LDAP verification failed for x@example.com",
           "203.0.113.30"},
          {"2025-03-10 11:27:58 [4242] H=(helo) [203.0.113.31]:52000 I=[192.0.2.25]:25 F=<> "
           "rejected RCPT <x@example.com>: LDAP verification failed for x@example.com",
           "203.0.113.31"},
          // rule 2's ": N Time(s)" form
          {"2025-03-10 11:27:58 login authenticator failed for (User) [203.0.113.32]: 535 "
           "Incorrect authentication data: 3 Time(s)",
           "203.0.113.32"},
          // rule 7: a fixed_login failure with any response (e.g. the temporary one)
          {"2025-03-10 11:27:58 fixed_login authenticator failed for (User) [203.0.113.33]: 435 "
           "Unable to authenticate at present (set_id=bob)",
           "203.0.113.33"},
          // rule 8: every "Recipient address rejected" reason it names
          {"2025-03-10 11:27:58 H=(helo) [203.0.113.34] F=<a@b.example> rejected RCPT "
           "<c@d.example>: 550 5.1.1 <c@d.example>: Recipient address rejected: User unknown "
           "in local recipient table",
           "203.0.113.34"},
          {"2025-03-10 11:27:58 H=(helo) [203.0.113.35] F=<a@b.example> rejected RCPT "
           "<c@d.example>: 550 5.1.1 <c@d.example>: Recipient address rejected: mailbox does "
           "not exist",
           "203.0.113.35"},
          {"2025-03-10 11:27:58 H=(helo) [203.0.113.36] F=<a@b.example> rejected RCPT "
           "<c@d.example>: 550 5.1.1 <c@d.example>: Recipient address rejected: undeliverable "
           "address: Unknown user",
           "203.0.113.36"},
          {"2025-03-10 11:27:58 H=(helo) [203.0.113.37] F=<a@b.example> rejected RCPT "
           "<c@d.example>: 550 5.1.1 <c@d.example>: Recipient address rejected: User unknown "
           "in virtual alias table",
           "203.0.113.37"},
          // rule 5: the last command as exim prints it, quotes and spaces included
          {"2025-03-10 11:27:58 SMTP call from (helo) [203.0.113.38]:41000 I=[192.0.2.25]:25 "
           "dropped: too many nonmail commands (last was \"NOOP \"x\"\")",
           "203.0.113.38"},
          // a quoted local part holding '>' (exim keeps the quotes)
          {"2025-03-10 11:27:58 H=(helo) [203.0.113.39] F=<\"a>b\"@b.example> rejected RCPT "
           "<c@d.example>: relay not permitted",
           "203.0.113.39"},
          {"2025-03-10 11:27:58 H=(helo) [203.0.113.42] F=<\"a> rejected RCPT <b>\"@b.example> "
           "rejected RCPT <\"c> d\"@d.example>: Unknown user",
           "203.0.113.42"},
          {"2025-03-10 11:27:58 1tXyZa-000abc-12 F=<\"a>b c\"@x.example> H=(helo) "
           "[203.0.113.40] rejected by local_scan(): spam",
           "203.0.113.40"},
          {"2025-03-10 11:27:58 1tXyZa-000abc-12 F=<> H=(helo) [203.0.113.41]:25 "
           "rejected by local_scan(): spam",
           "203.0.113.41"},
          // not failures
          {"2025-03-10 11:27:58 H=(helo) [203.0.113.19] F=<a@b.example> rejected RCPT "
           "<c@d.example>: greylisted",
           nullptr},
          {"2025-03-10 11:27:58 1tXyZa-000abc-12 <= a@b.example H=(helo) [203.0.113.19] "
           "P=esmtp S=1234",
           nullptr},
      });
}

TEST(MailCleanerFilters, EximTimeIsTheLogsLocalTime) {
  auto seen = run("mc-exim-filter",
                  "2025-03-10 11:27:58 H=(x) [203.0.113.5] F=<a@b.example> rejected RCPT "
                  "<c@d.example>: relay not permitted\n",
                  "Europe/Zurich");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].time, 1741602478); // 10:27:58 UTC
}

TEST(MailCleanerFilters, WebauthFailedLogins) {
  expect_cases("mc-webauth-filter",
               {
                   {"[10/Mar/2025:11:27:58 +0100] login FAILED for user: admin - 203.0.113.40",
                    "203.0.113.40"},
                   {"[10/Mar/2025:11:27:58 +0100] login FAILED for user: x - 2001:db8::42",
                    "2001:db8::42"},
                   {"[10/Mar/2025:11:27:58 +0100] login FAILED for user:  - 203.0.113.41",
                    "203.0.113.41"},
                   {"[10/Mar/2025:11:27:58 +0100] login SUCCESSFUL for user: admin - "
                    "203.0.113.42",
                    nullptr},
               });
  auto seen = run("mc-webauth-filter",
                  "[10/Mar/2025:11:27:58 +0100] login FAILED for user: admin - 203.0.113.40\n");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].time, 1741602478); // the line's own zone, +0100
}

TEST(MailCleanerFilters, SshdModernOpenSsh) {
  expect_cases(
      "sshd",
      {
          {"Mar 10 11:27:58 gw sshd[1234]: Invalid user admin from 203.0.113.50 port 51234",
           "203.0.113.50"},
          // OpenSSH 9.8+ logs from sshd-session: the stock 1.0.2 filter misses all of these.
          {"Mar 10 11:27:58 gw sshd-session[1235]: Invalid user admin from 203.0.113.51 port "
           "51234",
           "203.0.113.51"},
          {"Mar 10 11:27:58 gw sshd-session[1236]: Failed password for root from 203.0.113.52 "
           "port 51234 ssh2",
           "203.0.113.52"},
          {"2025-03-10T11:27:58.123456+01:00 gw sshd-session[1237]: Failed password for invalid "
           "user oracle from 2001:db8::53 port 51234 ssh2",
           "2001:db8::53"},
          {"Mar 10 11:27:58 gw sshd[1238]: Disconnecting invalid user admin 203.0.113.54 port "
           "51234: Too many authentication failures [preauth]",
           "203.0.113.54"},
          {"Mar 10 11:27:58 gw sshd-session[1239]: Disconnecting authenticating user root "
           "203.0.113.55 port 51234: Too many authentication failures [preauth]",
           "203.0.113.55"},
          {"Mar 10 11:27:58 gw sshd[1240]: Accepted publickey for git from 203.0.113.56 port "
           "51234 ssh2: ED25519 SHA256:abc",
           nullptr},
      });
  // The stock filter misses the sshd-session form (that is why we ship our own).
  auto stock = load_filter("/etc/fail2ban/filter.d/sshd.conf", FilterSearchPath{});
  ASSERT_TRUE(ok(stock));
  MatcherOptions options;
  options.fixed_now = kNow;
  auto matcher = LogMatcher::create({std::move(*stock)}, options);
  ASSERT_TRUE(ok(matcher));
  int n = 0;
  matcher->scan_all("Mar 10 11:27:58 gw sshd-session[1235]: Invalid user admin from "
                    "203.0.113.51 port 51234\n",
                    [&](const Match &) { ++n; });
  EXPECT_EQ(n, 0);
}

// Lines whose attacker-controlled fields carry kInjected. Some must still match (with
// the real host), none may ever report kInjected.
struct Injection {
  const char *filter;
  const char *line;
  const char *real_host; // nullptr: no match expected
};

// An sshd process id reused by a later, legitimate login: the attacker's session (OpenSSH's
// own lines) must be over by then, as fail2ban's session cache forgets a session five
// minutes after its first line, so the login is never counted as a failure.
TEST(MailCleanerFilters, SshdReusedPidDoesNotInheritAnAttackersSession) {
  const std::string attack =
      "Mar  9 01:02:03 gw sshd[2092068]: pam_unix(sshd:auth): authentication failure; "
      "logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.9  user=root\n"
      "Mar  9 01:02:09 gw sshd[2092068]: error: maximum authentication attempts exceeded for "
      "root from 198.51.100.9 port 40022 ssh2 [preauth]\n"
      "Mar  9 01:02:09 gw sshd[2092068]: Disconnecting authenticating user root 198.51.100.9 "
      "port 40022: Too many authentication failures [preauth]\n";
  auto login = [](const char *time) {
    return std::string("Mar  9 ") + time +
           " gw sshd[2092068]: Accepted publickey for deploy from 203.0.113.44 port 51000 ssh2: "
           "ED25519 SHA256:Xk3nN5dWq0vJ1t7m9YbP2cR8sL4fG6hA0eZ1uI3oT5w\n"
           "Mar  9 " +
           time + " gw sshd[2092068]: pam_unix(sshd:session): session opened for user deploy" +
           "(uid=1000) by (uid=0)\n";
  };
  for (const char *filter : {"sshd", "/etc/fail2ban/filter.d/sshd.conf"}) {
    // Eight hours later: a new session, nothing for the legitimate address.
    auto seen = run(filter, attack + login("09:02:11"));
    ASSERT_FALSE(seen.empty()) << filter;
    for (const Seen &s : seen)
      EXPECT_EQ(s.host, "198.51.100.9") << filter;
  }
  // Within the five minutes the pid is still the attacker's session, and the stock filter
  // (which does not end the session at "Disconnecting authenticating user") blames a
  // second user name in it on the session, as fail2ban does: the limit is the age.
  // Ours ends the session at that line, so the login is never blamed.
  auto seen = run("/etc/fail2ban/filter.d/sshd.conf", attack + login("01:04:00"));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen.back().host, "203.0.113.44");
  seen = run("sshd", attack + login("01:04:00"));
  ASSERT_FALSE(seen.empty());
  for (const Seen &s : seen)
    EXPECT_EQ(s.host, "198.51.100.9");
}

TEST(MailCleanerFilters, InjectionCorpusNeverYieldsTheInjectedAddress) {
  const std::vector<Injection> corpus = {
      // exim: HELO names
      {"mc-exim-filter",
       "2025-03-10 11:27:58 H=([198.51.100.66]) [203.0.113.60] F=<a@b.example> rejected RCPT "
       "<c@d.example>: relay not permitted",
       "203.0.113.60"},
      {"mc-exim-filter",
       "2025-03-10 11:27:58 H=(198.51.100.66) [203.0.113.61] sender verify fail for "
       "<a@b.example>: Unknown user",
       "203.0.113.61"},
      {"mc-exim-filter",
       "2025-03-10 11:27:58 SMTP call from ([198.51.100.66]) [203.0.113.62] dropped: too many "
       "nonmail commands (last was \"RSET\")",
       "203.0.113.62"},
      {"mc-exim-filter",
       "2025-03-10 11:27:58 fixed_login authenticator failed for ([198.51.100.66]) "
       "[203.0.113.63]: 535 Incorrect authentication data (set_id=a)",
       "203.0.113.63"},
      // exim: set_id, sender, recipient, input=
      {"mc-exim-filter",
       "2025-03-10 11:27:58 fixed_login authenticator failed for (x) [203.0.113.64]: 535 "
       "Incorrect authentication data (set_id=[198.51.100.66]: 535 Incorrect authentication "
       "data)",
       "203.0.113.64"},
      {"mc-exim-filter",
       "2025-03-10 11:27:58 H=(x) [203.0.113.65] F=<[198.51.100.66]@b.example> rejected RCPT "
       "<H=(x) [198.51.100.66]@d.example>: relay not permitted",
       "203.0.113.65"},
      {"mc-exim-filter",
       "2025-03-10 11:27:58 SMTP protocol synchronization error (input sent without waiting "
       "for greeting): rejected connection from H=[203.0.113.67] input=\"H=[198.51.100.66] "
       "input=\"\"",
       "203.0.113.67"},
      // exim: a quoted local part of the sender, written before the host (issue 20 item
      // 4): its text looks like a whole earlier rejection, the host is the one after it
      {"mc-exim-filter",
       "2025-03-10 11:27:58 1tXyZa-000abc-12 F=<\"> H=(x) [198.51.100.66] rejected by "
       "local_scan(): x\"@evil.example> H=(helo) [10.99.1.7] rejected by local_scan(): spam",
       "10.99.1.7"},
      {"mc-exim-filter",
       "2025-03-10 11:27:58 1tXyZa-000abc-12 F=\"x H=(x) [198.51.100.66] rejected by "
       "local_scan(): x\"@evil.example H=(helo) [10.99.1.8] rejected by local_scan(): spam",
       "10.99.1.8"},
      {"mc-exim-filter",
       "2025-03-10 11:27:58 1tXyZa-000abc-12 F=<\"\\\"> H=(x) [198.51.100.66] rejected by "
       "local_scan(): x\"@evil.example> H=(helo) [10.99.1.9] rejected by local_scan(): spam",
       "10.99.1.9"},
      // exim: the LDAP reason's address is after the host
      {"mc-exim-filter",
       "2025-03-10 11:27:58 H=(x) [203.0.113.68] F=<a@b.example> rejected RCPT <x@example.com>: "
       "LDAP verification failed for x H=(x) [198.51.100.66]@example.com",
       "203.0.113.68"},
      // exim: dumped headers of a rejected message (own lines, no timestamp of their own)
      {"mc-exim-filter",
       " H=(x) [198.51.100.66] F=<a@b.example> rejected RCPT <c@d.example>: relay not "
       "permitted",
       nullptr},
      {"mc-exim-filter",
       "  Subject: 2025-03-10 11:27:58 H=(x) [198.51.100.66] F=<a@b.example> rejected RCPT "
       "<c@d.example>: relay not permitted",
       nullptr},
      {"mc-exim-filter",
       "F From: 2025-03-10 11:27:58 H=(x) [198.51.100.66] F=<a@b.example> rejected RCPT "
       "<c@d.example>: relay not permitted",
       nullptr},
      // webauth: user names
      {"mc-webauth-filter",
       "[10/Mar/2025:11:27:58 +0100] login FAILED for user: admin - 198.51.100.66 - "
       "203.0.113.70",
       "203.0.113.70"},
      {"mc-webauth-filter",
       "[10/Mar/2025:11:27:58 +0100] login FAILED for user:  - 198.51.100.66 - 198.51.100.66x "
       "- 203.0.113.71",
       "203.0.113.71"},
      {"mc-webauth-filter",
       "[10/Mar/2025:11:27:58 +0100] login FAILED for user: x - 198.51.100.66  - 2001:db8::72",
       "2001:db8::72"},
      {"mc-webauth-filter",
       "[10/Mar/2025:11:27:58 +0100] login SUCCESSFUL for user: login FAILED for user: x - "
       "198.51.100.66",
       nullptr},
      // ssh: user names and ident strings
      {"sshd",
       "Mar 10 11:27:58 gw sshd[1]: Invalid user admin from 198.51.100.66 from 203.0.113.80 "
       "port 4444",
       "203.0.113.80"},
      {"sshd",
       "Mar 10 11:27:58 gw sshd[2]: Failed password for invalid user x from 198.51.100.66 port "
       "22 ssh2 from 203.0.113.81 port 5555 ssh2",
       "203.0.113.81"},
      {"sshd",
       "Mar 10 11:27:58 gw sshd[3]: Failed password for invalid user x from 203.0.113.82 port "
       "5555 ssh2: from 198.51.100.66 port 22 ssh2",
       "203.0.113.82"},
      {"sshd",
       "Mar 10 11:27:58 gw sshd-session[4]: Failed password for root from 203.0.113.83 port 1 "
       "ssh2: ruser from 198.51.100.66",
       "203.0.113.83"},
      {"sshd",
       "Mar 10 11:27:58 gw sshd[5]: Disconnecting invalid user 198.51.100.66 203.0.113.84 port "
       "2: Too many authentication failures [preauth]",
       "203.0.113.84"},
      {"sshd[mode=aggressive]",
       "Mar 10 11:27:58 gw sshd[6]: Bad protocol version identification 'x' from "
       "198.51.100.66' from 203.0.113.85 port 31778",
       "203.0.113.85"},
      {"sshd[mode=aggressive]",
       "Mar 10 11:27:58 gw sshd[7]: Connection closed by authenticating user a 198.51.100.66 "
       "port 1 203.0.113.86 port 46039 [preauth]",
       "203.0.113.86"},
      {"sshd",
       "Mar 10 11:27:58 gw sshd[8]: User x from 198.51.100.66 not allowed because not listed "
       "in AllowUsers from 203.0.113.87",
       nullptr},
  };
  for (const Injection &c : corpus) {
    auto seen = run(c.filter, std::string(c.line) + "\n");
    for (const Seen &s : seen)
      EXPECT_NE(s.host, kInjected) << c.filter << " took the injected address from:\n  " << c.line;
    if (c.real_host) {
      ASSERT_EQ(seen.size(), 1u) << c.filter << ": " << c.line;
      EXPECT_EQ(seen[0].host, c.real_host) << c.line;
    } else {
      EXPECT_TRUE(seen.empty()) << c.filter << ": " << c.line;
    }
  }
}

TEST(MailCleanerFilters, HyperscanDatabaseIsReusedFromTheCache) {
  auto dir = mcf2b::testing::TempDir::create("hscache");
  ASSERT_TRUE(ok(dir));
  MatcherOptions options;
  options.fixed_now = kNow;
  options.cache_dir = dir->path();
  for (int round = 0; round < 2; ++round) {
    auto def = load_filter("mc-exim-filter", ours());
    ASSERT_TRUE(ok(def));
    auto m = LogMatcher::create({std::move(*def)}, options);
    ASSERT_TRUE(ok(m));
    EXPECT_EQ(m->database_from_cache(), round == 1);
    int n = 0;
    m->scan_all("2025-03-10 11:27:58 H=(x) [203.0.113.5] F=<a@b.example> rejected RCPT "
                "<c@d.example>: relay not permitted\n",
                [&](const Match &) { ++n; });
    EXPECT_EQ(n, 1);
  }
}

TEST(MailCleanerFilters, BrokenFilterFilesAreRefusedWithFileAndLine) {
  auto dir = mcf2b::testing::TempDir::create("filters");
  ASSERT_TRUE(ok(dir));
  {
    std::ofstream(dir->file("nosection.conf")) << "failregex = ^x <HOST>$\n";
    std::ofstream(dir->file("badregex.conf")) << "[Definition]\n\nfailregex = ^ok <HOST>$\n"
                                                  "            ^broken ( <HOST>$\n";
    std::ofstream(dir->file("nohost.conf")) << "[Definition]\nfailregex = ^no host here$\n";
  }
  FilterSearchPath search{{dir->path()}};
  auto a = load_filter("nosection", search);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().what.find("nosection.conf:1"), std::string::npos) << a.error().what;
  MatcherOptions options;
  auto b = load_filter("badregex", search);
  ASSERT_TRUE(ok(b));
  auto bm = LogMatcher::create({std::move(*b)}, options);
  ASSERT_FALSE(bm.ok());
  EXPECT_NE(bm.error().what.find("badregex.conf:4"), std::string::npos) << bm.error().what;
  auto c = load_filter("nohost", search);
  ASSERT_TRUE(ok(c));
  auto cm = LogMatcher::create({std::move(*c)}, options);
  ASSERT_FALSE(cm.ok());
  EXPECT_NE(cm.error().what.find("nohost.conf:2"), std::string::npos) << cm.error().what;
}

TEST(MailCleanerFilters, UnknownFilterNameIsReported) {
  auto missing = load_filter("no-such-filter", ours());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().what.find("no-such-filter"), std::string::npos);
}

} // namespace
} // namespace mcf2b::matcher
