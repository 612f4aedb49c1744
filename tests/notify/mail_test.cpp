// SPDX-License-Identifier: GPL-2.0-only
// MailCleaner's ban mails end to end against a real SMTP server (aiosmtpd, parsing each
// message with Python's email module): which bans are mailed, one mail per ban, the
// digest of a wave, a relay that is down for 30 s, a kill -9 with mails spooled, and a
// matched line that tries to add a header.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir_fixture.h"
#include "tests/notify/smtp_sink.h"
#include "userspace/controller/jail_controller.h"
#include "userspace/notify/ban_mail_policy.h"
#include "userspace/notify/mailer.h"

namespace mcf2b {
namespace {

using namespace std::chrono_literals;
using testing::ok;

const MailConf kConf{"fail2ban@mx1.example.com", "MailCleaner mx1", "admin@example.com"};

class MailTest : public testing::TempDirTest {
protected:
  MailTest() : TempDirTest("mail") {}

  void SetUp() override {
    TempDirTest::SetUp();
    auto p = testing::free_loopback_port();
    ASSERT_TRUE(ok(p));
    port = *p;
  }

  MailerOptions options(const std::string &spool = "spool") {
    MailerOptions o;
    o.smtp.relay = "127.0.0.1:" + std::to_string(port);
    o.smtp.helo = "mx1.example.com";
    o.smtp.timeout = 10s;
    o.spool_dir = dir->file(spool);
    o.digest.interval = 3s;
    o.digest.retry_initial = 1s;
    o.digest.retry_max = 4s;
    o.node = "mx1";
    return o;
  }

  std::unique_ptr<Mailer> start_mailer(const MailerOptions &o) {
    auto m = Mailer::start(o, [] { return Result<MailConf>(kConf); });
    EXPECT_TRUE(ok(m));
    return m ? std::move(*m) : nullptr;
  }

  std::optional<testing::SmtpSink> start_sink() {
    auto s = testing::SmtpSink::start(port, dir->file("received"));
    EXPECT_TRUE(ok(s));
    if (!s)
      return std::nullopt;
    return std::move(*s);
  }

  static BanNotice notice(const std::string &jail, const std::string &address) {
    BanNotice n;
    n.jail = jail;
    n.address = address;
    n.failures = 5;
    n.matches = {"2025-03-10 11:27:58 H=(WIN-ABC123) [" + address +
                 "] F=<spam@example.org> rejected RCPT <bob@example.com>: relay not permitted"};
    n.banned_at = 1'741'605'000;
    n.ban_end = 1'741'691'400;
    return n;
  }

  // The addresses a mail's body lists, as "Address:  X" lines.
  static std::vector<std::string> addresses_in(const nlohmann::json &mail) {
    std::vector<std::string> out;
    std::string body = mail.at("body");
    size_t at = 0;
    while ((at = body.find("Address:  ", at)) != std::string::npos) {
      at += 10;
      out.push_back(body.substr(at, body.find('\n', at) - at));
    }
    return out;
  }

  uint16_t port = 0;
};

// The headers a ban mail carries: exactly these, each once.
void expect_exact_headers(const nlohmann::json &mail) {
  std::multiset<std::string> names;
  for (const auto &h : mail.at("headers")) {
    std::string n = h.at(0);
    for (auto &c : n)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    names.insert(n);
  }
  EXPECT_EQ(names, (std::multiset<std::string>{"date", "from", "to", "subject", "message-id",
                                                "auto-submitted", "mime-version",
                                                "content-type"}))
      << mail.dump();
  EXPECT_TRUE(mail.at("defects").empty()) << mail.dump();
}

// A controller over MailCleaner's jails, mc-exim-1d mailing on every ban.
struct Gateway {
  ManualClock clock{1'741'605'000};
  JailController controller{clock, JailControllerOptions{1000, "mx1"}};
  MailLineHistory matches;

  explicit Gateway(bool send_mail_1d, bool send_mail_bl) {
    auto jails = mailcleaner_default_jails(true);
    for (auto &j : jails) {
      if (!j.name.ends_with(kBlacklistSuffix))
        j.max_count = 3; // general enable-bl: the 4th ban blacklists
      j.send_mail = send_mail_1d && j.name == "mc-exim-1d";
      j.send_mail_bl = send_mail_bl;
    }
    (void)controller.configure(jails);
  }
  // One failure of `address` logged by exim now; the notices its decisions are worth.
  std::vector<BanNotice> fail(const std::string &address) {
    auto family = controller.family("mc-exim");
    auto ip = IpPrefix::parse(address).value();
    std::string line = "2025-03-10 11:27:58 H=(helo) [" + address +
                       "] F=<a@b.example> rejected RCPT <x@example.com>: relay not permitted";
    matches.record(*family, ip, line, 5);
    Decisions d = controller.failure(*family, ip, clock.now());
    std::vector<BanNotice> out;
    for (const auto &b : d.bans)
      if (const JailConfig *j = controller.jail(b.jail))
        if (auto n = ban_notice_for(b, *j, matches.find(*family, ip)))
          out.push_back(*n);
    return out;
  }
};

TEST_F(MailTest, ABanInAJailWithSendMailIsOneMailWithTheRightHeadersAndBody) {
  Gateway gw(/*send_mail_1d=*/true, /*send_mail_bl=*/false);
  std::vector<BanNotice> notices;
  for (int i = 0; i < 5; ++i) {
    auto n = gw.fail("203.0.113.5");
    notices.insert(notices.end(), n.begin(), n.end());
  }
  ASSERT_EQ(notices.size(), 1u) << "mc-exim-1d bans at the 5th failure and mails once";
  EXPECT_EQ(notices[0].jail, "mc-exim-1d");
  EXPECT_EQ(notices[0].failures, 5u);
  EXPECT_EQ(notices[0].matches.size(), 5u);

  auto sink = start_sink();
  ASSERT_TRUE(sink);
  auto mailer = start_mailer(options());
  ASSERT_TRUE(mailer);
  mailer->notify(notices[0]);
  auto mails = sink->wait_for(1, 30s);
  ASSERT_EQ(mails.size(), 1u);
  const auto &m = mails[0];
  expect_exact_headers(m);
  EXPECT_EQ(m.at("mail_from"), "fail2ban@mx1.example.com");
  EXPECT_EQ(m.at("rcpt_tos"), nlohmann::json::array({"admin@example.com"}));
  EXPECT_EQ(testing::header_values(m, "From"),
            std::vector<std::string>{"\"MailCleaner mx1\" <fail2ban@mx1.example.com>"});
  EXPECT_EQ(testing::header_values(m, "To"), std::vector<std::string>{"<admin@example.com>"});
  EXPECT_EQ(testing::header_values(m, "Subject"),
            std::vector<std::string>{"[mcf2b] banned 203.0.113.5 in mc-exim-1d"});
  std::string body = m.at("body");
  EXPECT_NE(body.find("Address:  203.0.113.5\n"), std::string::npos) << body;
  EXPECT_NE(body.find("Failures: 5\n"), std::string::npos) << body;
  EXPECT_NE(body.find("Until:    2025-03-11 "), std::string::npos) << body;
  EXPECT_NE(body.find("  | 2025-03-10 11:27:58 H=(helo) [203.0.113.5] F=<a@b.example> rejected "
                      "RCPT <x@example.com>: relay not permitted\n"),
            std::string::npos)
      << body;
  // Settled: nothing else arrives, nothing is left.
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(sink->messages().size(), 1u);
  EXPECT_EQ(mailer->stats().sent, 1u);
  EXPECT_EQ(mailer->stats().queued, 0u);
}

TEST_F(MailTest, APromotionToTheBlacklistIsMailedWhenSendMailBlIsOn) {
  Gateway quiet(/*send_mail_1d=*/false, /*send_mail_bl=*/false);
  Gateway gw(/*send_mail_1d=*/false, /*send_mail_bl=*/true);
  std::vector<BanNotice> notices, quiet_notices;
  // Banned, expired, banned again... until the ban count passes max_count (3).
  for (int round = 0; round < 8 && notices.empty(); ++round) {
    for (int i = 0; i < 5; ++i) {
      auto n = gw.fail("198.51.100.7");
      notices.insert(notices.end(), n.begin(), n.end());
      auto q = quiet.fail("198.51.100.7");
      quiet_notices.insert(quiet_notices.end(), q.begin(), q.end());
    }
    for (Gateway *g : {&gw, &quiet}) {
      g->clock.advance(86400 * 40);
      (void)g->controller.tick();
    }
  }
  ASSERT_EQ(notices.size(), 1u) << "only the promotion is mailed (send_mail is off)";
  EXPECT_EQ(notices[0].jail, "mc-exim-bl");
  EXPECT_TRUE(notices[0].blacklisted);
  EXPECT_EQ(notices[0].ban_end, 0);
  EXPECT_TRUE(quiet_notices.empty()) << "send_mail_bl off: no mail";

  auto sink = start_sink();
  ASSERT_TRUE(sink);
  auto mailer = start_mailer(options());
  ASSERT_TRUE(mailer);
  mailer->notify(notices[0]);
  auto mails = sink->wait_for(1, 30s);
  ASSERT_EQ(mails.size(), 1u);
  expect_exact_headers(mails[0]);
  EXPECT_EQ(testing::header_values(mails[0], "Subject"),
            std::vector<std::string>{"[mcf2b] blacklisted 198.51.100.7 in mc-exim-bl"});
  std::string body = mails[0].at("body");
  EXPECT_NE(body.find("Jail:     mc-exim-bl (blacklisted: banned for good)\n"), std::string::npos)
      << body;
  EXPECT_NE(body.find("Until:    permanent\n"), std::string::npos) << body;
}

TEST_F(MailTest, AWaveOfAThousandBansIsOneDigestAfterTheFirstMail) {
  // A flood is not a flood of mails: at most the first mail at once and one digest.
  auto sink = start_sink();
  ASSERT_TRUE(sink);
  auto mailer = start_mailer(options());
  ASSERT_TRUE(mailer);
  std::set<std::string> sent_addresses;
  for (int i = 0; i < 1000; ++i) {
    std::string a = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    sent_addresses.insert(a);
    mailer->notify(notice("mc-exim-1d", a));
  }
  // Every address arrives; wait for the digest (interval 3 s) and then some.
  std::multiset<std::string> received;
  auto until = std::chrono::steady_clock::now() + 60s;
  std::vector<nlohmann::json> mails;
  while (received.size() < 1000 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(200ms);
    mails = sink->messages();
    received.clear();
    for (const auto &m : mails)
      for (auto &a : addresses_in(m))
        received.insert(a);
  }
  std::this_thread::sleep_for(4s); // a further interval: nothing more may come
  mails = sink->messages();
  ASSERT_LE(mails.size(), 2u) << "the first mail at once, then one digest";
  received.clear();
  for (const auto &m : mails)
    for (auto &a : addresses_in(m))
      received.insert(a);
  EXPECT_EQ(received.size(), 1000u) << "each address listed once";
  EXPECT_EQ(std::set<std::string>(received.begin(), received.end()), sent_addresses);
  // The first mail lists what had arrived when it went (one ban, or a few hundred when
  // the wave came in faster than the worker woke); the digest lists all the rest.
  for (const auto &m : mails)
    expect_exact_headers(m);
  if (mails.size() == 2) {
    EXPECT_EQ(addresses_in(mails[0]).size() + addresses_in(mails[1]).size(), 1000u);
  }
  EXPECT_EQ(mailer->stats().dropped, 0u);
}

TEST_F(MailTest, ARelayDownForThirtySecondsThenUpGetsEveryMailOnce) {
  auto mailer = start_mailer(options()); // nobody listens on the port yet
  ASSERT_TRUE(mailer);
  std::set<std::string> expected;
  for (const char *jail : {"mc-exim-1d", "mc-ssh-1d"})
    for (int i = 1; i <= 3; ++i) {
      std::string a = "192.0.2." + std::to_string(i + (jail[3] == 's' ? 10 : 0));
      expected.insert(a);
      mailer->notify(notice(jail, a));
    }
  std::this_thread::sleep_for(30s);
  EXPECT_GT(mailer->stats().deferred, 0u) << "the relay was down: deliveries were deferred";
  EXPECT_EQ(mailer->stats().sent, 0u);
  EXPECT_EQ(mailer->stats().queued, 6u) << "nothing is lost while the relay is down";

  auto sink = start_sink();
  ASSERT_TRUE(sink);
  auto until = std::chrono::steady_clock::now() + 60s;
  while (mailer->stats().queued > 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(200ms);
  std::this_thread::sleep_for(5s); // longer than the back-off: a duplicate would show
  auto mails = sink->messages();
  std::multiset<std::string> received;
  std::set<std::string> ids;
  for (const auto &m : mails) {
    for (auto &a : addresses_in(m))
      received.insert(a);
    for (auto &id : testing::header_values(m, "Message-ID"))
      EXPECT_TRUE(ids.insert(id).second) << "sent twice: " << id;
  }
  EXPECT_EQ(mails.size(), 2u) << "one digest per jail";
  EXPECT_EQ(received, std::multiset<std::string>(expected.begin(), expected.end()));
  EXPECT_EQ(mailer->stats().sent, 2u);
}

TEST_F(MailTest, MailsSpooledBeforeAKillNineArriveAfterTheRestart) {
  MailerOptions o = options();
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The "daemon": the relay is down, 20 bans are handed over and spooled, then it dies.
    ::close(ready[0]);
    auto m = Mailer::start(o, [] { return Result<MailConf>(kConf); });
    if (!m)
      ::_exit(2);
    for (int i = 1; i <= 20; ++i)
      (*m)->notify(notice("mc-exim-1d", "198.51.100." + std::to_string(i)));
    // Spooled = written and renamed: the files are there.
    for (int tries = 0; tries < 600; ++tries) {
      size_t files = 0;
      for (const auto &e : std::filesystem::directory_iterator(o.spool_dir))
        files += e.path().extension() == ".notice";
      if (files == 20)
        break;
      std::this_thread::sleep_for(50ms);
    }
    char c = 'x';
    (void)!::write(ready[1], &c, 1);
    for (;;)
      ::pause();
  }
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  auto sink = start_sink();
  ASSERT_TRUE(sink);
  auto mailer = start_mailer(o); // the restarted daemon, on the same spool
  ASSERT_TRUE(mailer);
  EXPECT_EQ(mailer->stats().queued, 20u);
  auto until = std::chrono::steady_clock::now() + 60s;
  std::multiset<std::string> received;
  while (received.size() < 20 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(200ms);
    received.clear();
    for (const auto &m : sink->messages())
      for (auto &a : addresses_in(m))
        received.insert(a);
  }
  EXPECT_EQ(received.size(), 20u);
  EXPECT_EQ(std::set<std::string>(received.begin(), received.end()).size(), 20u)
      << "none twice";
}

TEST_F(MailTest, AMatchedLineWithCrLfAndABccHeaderInjectsNothing) {
  auto sink = start_sink();
  ASSERT_TRUE(sink);
  auto mailer = start_mailer(options());
  ASSERT_TRUE(mailer);
  BanNotice n = notice("mc-webauth-1d", "203.0.113.66");
  n.matches = {
      "[10/Mar/2025:11:27:58 +0100] login FAILED for user: x\r\nBcc: victim@evil.example\r\n"
      "Subject: pwned\r\n\r\nbody - 203.0.113.66",
      "user\nBcc: second@evil.example\n.\nMAIL FROM:<a@evil.example>\nRCPT TO:<b@evil.example>",
      "\x1b[31mred\x1b[0m \xff\xfe caf\xc3\xa9",
  };
  mailer->notify(n);
  auto mails = sink->wait_for(1, 30s);
  ASSERT_EQ(mails.size(), 1u);
  std::this_thread::sleep_for(2s);
  ASSERT_EQ(sink->messages().size(), 1u) << "no second message smuggled through DATA";
  const auto &m = mails[0];
  expect_exact_headers(m);
  EXPECT_TRUE(testing::header_values(m, "Bcc").empty());
  EXPECT_EQ(m.at("rcpt_tos"), nlohmann::json::array({"admin@example.com"}));
  EXPECT_EQ(testing::header_values(m, "Subject"),
            std::vector<std::string>{"[mcf2b] banned 203.0.113.66 in mc-webauth-1d"});
  std::string body = m.at("body");
  EXPECT_NE(body.find("user: x\\r\\nBcc: victim@evil.example\\r\\nSubject: pwned\\r\\n\\r\\nbody"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("user\\nBcc: second@evil.example\\n.\\nMAIL FROM:<a@evil.example>"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("\\x1b[31mred\\x1b[0m \\xff\\xfe caf\xc3\xa9"), std::string::npos) << body;
}

TEST_F(MailTest, TheSpoolDropsTheOldestBeyondItsBoundAndIgnoresHalfWrittenFiles) {
  std::string spool_dir = dir->file("bounded");
  {
    auto spool = NoticeSpool::open(spool_dir, 3);
    ASSERT_TRUE(ok(spool));
    std::vector<BanNotice> five;
    for (int i = 1; i <= 5; ++i)
      five.push_back(notice("mc-ssh-1d", "192.0.2." + std::to_string(i)));
    auto dropped = spool->add(five);
    ASSERT_TRUE(ok(dropped));
    EXPECT_EQ(*dropped, 2u);
    EXPECT_EQ(spool->dropped(), 2u);
  }
  { std::ofstream(spool_dir + "/00000000000000000099.notice.tmp") << "{\"jail\": \"mc-"; }
  { std::ofstream(spool_dir + "/00000000000000000098.notice") << "not json"; }
  auto spool = NoticeSpool::open(spool_dir, 3);
  ASSERT_TRUE(ok(spool));
  std::vector<std::string> kept;
  for (const auto &[id, n] : spool->pending())
    kept.push_back(n.address);
  EXPECT_EQ(kept, (std::vector<std::string>{"192.0.2.3", "192.0.2.4", "192.0.2.5"}));
  EXPECT_EQ(spool->unreadable(), 1u);
  EXPECT_FALSE(std::filesystem::exists(spool_dir + "/00000000000000000099.notice.tmp"));
}

TEST(MailAddress, LineBreaksSpacesAndMissingAtAreRefused) {
  for (const char *bad : {"admin@example.com\r\nBcc: x@evil.example", "admin", "admin@",
                          "@example.com", "a b@example.com", "<a@example.com>", "a@b@c",
                          "a@example..com", "\"a\"@example.com"})
    EXPECT_FALSE(check_mail_address(bad).ok()) << bad;
  EXPECT_TRUE(check_mail_address("fail2ban+mx1@mail.example.com").ok());
  EXPECT_FALSE(check_mail_name("MailCleaner\r\nBcc: x@evil.example").ok());
  EXPECT_TRUE(check_mail_name("MailCleaner café").ok());
  EXPECT_EQ(from_header_value("Mail \"Cleaner\"", "a@example.com"),
            "\"Mail \\\"Cleaner\\\"\" <a@example.com>");
  EXPECT_EQ(from_header_value("café", "a@example.com"), "=?UTF-8?B?Y2Fmw6k=?= <a@example.com>");
}

} // namespace
} // namespace mcf2b
