// SPDX-License-Identifier: GPL-2.0-only
// mcf2b-loggen: writes realistic, deterministic mixed logs for the matcher benchmark:
// an sshd auth.log, an exim stage-1 reject log and MailCleaner's web UI auth log, with
// the attack ratio (share of lines that are failures) and the number of distinct
// attacking addresses as knobs. Same arguments, same bytes.
//
//   mcf2b-loggen KIND LINES [--attack-ratio R] [--addresses N] [--seed S] > FILE
//   KIND: auth | exim | webauth
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// xorshift64*: deterministic on every platform (std::mt19937 distributions are not).
struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  uint64_t below(uint64_t n) { return next() % n; }
  double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
};

const char *const kUsers[] = {"admin", "root", "oracle", "test", "user", "ubuntu", "postgres",
                              "git", "guest", "ftpuser", "support", "info", "webmaster"};
const char *const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Attackers come from documentation and benchmark ranges, spread over N addresses.
std::string attacker(Rng &rng, uint64_t count) {
  uint64_t i = rng.below(count);
  char buf[48];
  if (i % 10 == 9) // some IPv6
    std::snprintf(buf, sizeof buf, "2001:db8:%x::%x", static_cast<unsigned>(i >> 16 & 0xffff),
                  static_cast<unsigned>(i & 0xffff) + 1);
  else
    std::snprintf(buf, sizeof buf, "198.%u.%u.%u", 18 + static_cast<unsigned>(i >> 16 & 1),
                  static_cast<unsigned>(i >> 8 & 0xff), static_cast<unsigned>(i & 0xff));
  return buf;
}

struct Clock {
  int64_t t = 1741600000; // 2025-03-10
  void tick(Rng &rng) { t += static_cast<int64_t>(rng.below(3)); }
  void syslog(char *buf, size_t n) const {
    int64_t s = t % 86400;
    std::snprintf(buf, n, "%s %2d %02d:%02d:%02d", kMonths[2], 10 + static_cast<int>(t / 86400 - 20157),
                  static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60), static_cast<int>(s % 60));
  }
  void iso(char *buf, size_t n) const {
    int64_t s = t % 86400;
    std::snprintf(buf, n, "2025-03-%02d %02d:%02d:%02d", 10 + static_cast<int>(t / 86400 - 20157),
                  static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60), static_cast<int>(s % 60));
  }
  void apache(char *buf, size_t n) const {
    int64_t s = t % 86400;
    std::snprintf(buf, n, "[%02d/Mar/2025:%02d:%02d:%02d +0000]", 10 + static_cast<int>(t / 86400 - 20157),
                  static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60), static_cast<int>(s % 60));
  }
};

void auth_line(Rng &rng, Clock &c, bool attack, uint64_t addresses, std::string &out) {
  char date[32], line[512];
  c.syslog(date, sizeof date);
  // sshd forks one process per connection: pids are distinct within a session's life.
  static unsigned next_pid = 1000;
  unsigned pid = next_pid;
  next_pid = next_pid >= 4000000 ? 1000 : next_pid + 1 + static_cast<unsigned>(rng.below(3));
  unsigned port = 1024 + static_cast<unsigned>(rng.below(64000));
  const char *user = kUsers[rng.below(13)];
  if (attack) {
    std::string ip = attacker(rng, addresses);
    switch (rng.below(6)) {
    case 0:
      std::snprintf(line, sizeof line, "%s mx1 sshd[%u]: Failed password for invalid user %s from %s port %u ssh2\n", date, pid, user, ip.c_str(), port);
      break;
    case 1:
      std::snprintf(line, sizeof line, "%s mx1 sshd[%u]: Invalid user %s from %s port %u\n", date, pid, user, ip.c_str(), port);
      break;
    case 2:
      std::snprintf(line, sizeof line, "%s mx1 sshd[%u]: Failed password for root from %s port %u ssh2\n", date, pid, ip.c_str(), port);
      break;
    case 3:
      std::snprintf(line, sizeof line, "%s mx1 sshd[%u]: error: maximum authentication attempts exceeded for root from %s port %u ssh2 [preauth]\n", date, pid, ip.c_str(), port);
      break;
    case 4:
      std::snprintf(line, sizeof line, "%s mx1 sshd[%u]: User root from %s not allowed because not listed in AllowUsers\n", date, pid, ip.c_str());
      break;
    default:
      std::snprintf(line, sizeof line, "%s mx1 sshd[%u]: error: PAM: Authentication failure for %s from %s\n", date, pid, user, ip.c_str());
    }
  } else {
    // A mail gateway's own traffic: mostly cron and systemd, few interactive logins.
    uint64_t k = rng.below(40);
    switch (k < 12 ? 0 : k < 24 ? 1 : k < 30 ? 2 : k < 36 ? 5 : k < 37 ? 3 : k < 38 ? 4 : 6) {
    case 0:
      std::snprintf(line, sizeof line, "%s mx1 CRON[%u]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n", date, pid);
      break;
    case 1:
      std::snprintf(line, sizeof line, "%s mx1 CRON[%u]: pam_unix(cron:session): session closed for user root\n", date, pid);
      break;
    case 2:
      std::snprintf(line, sizeof line, "%s mx1 systemd-logind[612]: New session %u of user mailcleaner.\n", date, pid);
      break;
    case 3:
      std::snprintf(line, sizeof line, "%s mx1 sshd[%u]: Accepted publickey for mailcleaner from 192.0.2.%u port %u ssh2: ED25519 SHA256:9xQbZ1d0m1yJt4cU2yq3v5kO8Y6t2aQ0e7mXh4Zr1sE\n", date, pid, 1 + static_cast<unsigned>(rng.below(20)), port);
      break;
    case 4:
      std::snprintf(line, sizeof line, "%s mx1 sshd[%u]: pam_unix(sshd:session): session opened for user mailcleaner(uid=1000) by (uid=0)\n", date, pid);
      break;
    case 5:
      std::snprintf(line, sizeof line, "%s mx1 sudo:     root : PWD=/root ; USER=mailcleaner ; COMMAND=/usr/mailcleaner/bin/check_services.sh\n", date);
      break;
    default:
      std::snprintf(line, sizeof line, "%s mx1 sshd[%u]: Received disconnect from 192.0.2.%u port %u:11: disconnected by user\n", date, pid, 1 + static_cast<unsigned>(rng.below(20)), port);
    }
  }
  out += line;
}

void exim_line(Rng &rng, Clock &c, bool attack, uint64_t addresses, std::string &out) {
  char date[32], line[768];
  c.iso(date, sizeof date);
  std::string ip = attacker(rng, addresses);
  const char *user = kUsers[rng.below(13)];
  if (attack) {
    switch (rng.below(6)) {
    case 0:
      std::snprintf(line, sizeof line, "%s H=(WIN-%04X) [%s]:%u I=[192.0.2.25]:25 F=<%s@spam.example> rejected RCPT <%s@example.com>: relay not permitted\n", date, static_cast<unsigned>(rng.below(65536)), ip.c_str(), 1024 + static_cast<unsigned>(rng.below(60000)), user, user);
      break;
    case 1:
      std::snprintf(line, sizeof line, "%s H=mail.bad.example [%s] sender verify fail for <%s@bad.example>: Unrouteable address\n", date, ip.c_str(), user);
      break;
    case 2:
      std::snprintf(line, sizeof line, "%s fixed_login authenticator failed for (User) [%s]:%u: 535 Incorrect authentication data (set_id=%s@example.com)\n", date, ip.c_str(), 1024 + static_cast<unsigned>(rng.below(60000)), user);
      break;
    case 3:
      std::snprintf(line, sizeof line, "%s SMTP call from (helo) [%s] dropped: too many nonmail commands (last was \"RSET\")\n", date, ip.c_str());
      break;
    case 4:
      std::snprintf(line, sizeof line, "%s H=(helo.example) [%s] F=<%s@a.example> rejected RCPT <%s@example.com>: Unknown user\n", date, ip.c_str(), user, user);
      break;
    default:
      std::snprintf(line, sizeof line, "%s 1tXyZa-000%03u-12 F=<%s@a.example> H=(helo) [%s] rejected by local_scan(): message scored too high\n", date, static_cast<unsigned>(rng.below(1000)), user, ip.c_str());
    }
  } else {
    switch (rng.below(4)) {
    case 0:
      std::snprintf(line, sizeof line, "%s H=(mail.partner.example) [192.0.2.%u] F=<news@partner.example> temporarily rejected RCPT <%s@example.com>: greylisted\n", date, 1 + static_cast<unsigned>(rng.below(200)), user);
      break;
    case 1:
      std::snprintf(line, sizeof line, "Envelope-from: <news@partner.example>\n");
      break;
    case 2:
      std::snprintf(line, sizeof line, "P Received: from [192.0.2.%u] (helo=mail.partner.example) by mx1.example.com with esmtp (Exim 4.96) id 1tXyZa-000abc-12 for %s@example.com; Mon, 10 Mar 2025 11:27:58 +0100\n", 1 + static_cast<unsigned>(rng.below(200)), user);
      break;
    default:
      std::snprintf(line, sizeof line, "  Subject: Your invoice %u is ready\n", static_cast<unsigned>(rng.below(100000)));
    }
  }
  out += line;
}

void webauth_line(Rng &rng, Clock &c, bool attack, uint64_t addresses, std::string &out) {
  char date[40], line[256];
  c.apache(date, sizeof date);
  if (attack)
    std::snprintf(line, sizeof line, "%s login FAILED for user: %s - %s\n", date, kUsers[rng.below(13)], attacker(rng, addresses).c_str());
  else
    std::snprintf(line, sizeof line, "%s login SUCCESSFUL for user: admin - 192.0.2.%u\n", date, 1 + static_cast<unsigned>(rng.below(20)));
  out += line;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s auth|exim|webauth LINES [--attack-ratio R] [--addresses N] [--seed S]\n", argv[0]);
    return 2;
  }
  std::string kind = argv[1];
  uint64_t lines = std::strtoull(argv[2], nullptr, 10);
  double ratio = 0.1;
  uint64_t addresses = 5000, seed = 1;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--attack-ratio"))
      ratio = std::strtod(argv[i + 1], nullptr);
    else if (!std::strcmp(argv[i], "--addresses"))
      addresses = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--seed"))
      seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  if (addresses == 0 || (kind != "auth" && kind != "exim" && kind != "webauth")) {
    std::fprintf(stderr, "bad arguments\n");
    return 2;
  }
  Rng rng{seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(kind[0]) * 131 + 1};
  Clock clock;
  std::string out;
  out.reserve(1 << 22);
  for (uint64_t i = 0; i < lines; ++i) {
    bool attack = rng.unit() < ratio;
    if (kind == "auth")
      auth_line(rng, clock, attack, addresses, out);
    else if (kind == "exim")
      exim_line(rng, clock, attack, addresses, out);
    else
      webauth_line(rng, clock, attack, addresses, out);
    clock.tick(rng);
    if (out.size() > (1 << 22) - 2048) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
