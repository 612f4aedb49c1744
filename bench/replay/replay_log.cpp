// SPDX-License-Identifier: GPL-2.0-only
#include "bench/replay/replay_log.h"

#include <algorithm>
#include <cstdio>

namespace mcf2b::bench {
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

const char *const kUsers[] = {"admin", "info",    "sales", "contact",    "office",    "billing",
                              "hr",    "support", "test",  "postmaster", "webmaster", "jobs"};

std::string stamp(std::time_t t) {
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

std::string message_id(Rng &rng) {
  static const char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string id = "1t";
  for (int i = 0; i < 4; ++i)
    id += kBase62[rng.below(62)];
  id += "-000";
  for (int i = 0; i < 3; ++i)
    id += kBase62[rng.below(62)];
  id += "-";
  id += kBase62[rng.below(62)];
  id += kBase62[rng.below(62)];
  return id;
}

// One of the six kinds of line mc-exim-filter counts, from `ip`.
std::string failure_line(Rng &rng, const std::string &date, const std::string &ip) {
  char line[768];
  const char *user = kUsers[rng.below(12)];
  unsigned port = 1024 + static_cast<unsigned>(rng.below(60000));
  switch (rng.below(6)) {
  case 0:
    std::snprintf(line, sizeof line,
                  "%s H=(WIN-%04X) [%s]:%u I=[192.0.2.25]:25 F=<%s@spam.example> rejected RCPT "
                  "<%s@example.com>: relay not permitted\n",
                  date.c_str(), static_cast<unsigned>(rng.below(65536)), ip.c_str(), port, user,
                  user);
    break;
  case 1:
    std::snprintf(line, sizeof line,
                  "%s H=mail.bad.example [%s] sender verify fail for <%s@bad.example>: "
                  "Unrouteable address\n",
                  date.c_str(), ip.c_str(), user);
    break;
  case 2:
    std::snprintf(line, sizeof line,
                  "%s fixed_login authenticator failed for (User) [%s]:%u: 535 Incorrect "
                  "authentication data (set_id=%s@example.com)\n",
                  date.c_str(), ip.c_str(), port, user);
    break;
  case 3:
    std::snprintf(line, sizeof line,
                  "%s SMTP call from (helo) [%s] dropped: too many nonmail commands (last was "
                  "\"RSET\")\n",
                  date.c_str(), ip.c_str());
    break;
  case 4:
    std::snprintf(line, sizeof line,
                  "%s H=(helo.example) [%s] F=<%s@a.example> rejected RCPT <%s@example.com>: "
                  "Unknown user\n",
                  date.c_str(), ip.c_str(), user, user);
    break;
  default:
    std::snprintf(line, sizeof line,
                  "%s %s F=<%s@a.example> H=(helo) [%s] rejected by local_scan(): message "
                  "scored too high\n",
                  date.c_str(), message_id(rng).c_str(), user, ip.c_str());
  }
  return line;
}

// What the reject and main logs hold besides failures; none of it is counted.
std::string other_line(Rng &rng, const std::string &date) {
  char line[768];
  const char *user = kUsers[rng.below(12)];
  unsigned peer = 1 + static_cast<unsigned>(rng.below(250));
  unsigned port = 1024 + static_cast<unsigned>(rng.below(60000));
  std::string id = message_id(rng);
  switch (rng.below(12)) {
  case 0:
  case 1:
    std::snprintf(line, sizeof line,
                  "%s H=(mail.partner.example) [192.0.2.%u]:%u I=[192.0.2.25]:25 "
                  "F=<news@partner.example> temporarily rejected RCPT <%s@example.com>: "
                  "greylisted\n",
                  date.c_str(), peer, port, user);
    break;
  case 2:
    std::snprintf(line, sizeof line,
                  "%s H=(bulk.sender.example) [192.0.2.%u]:%u I=[192.0.2.25]:25 "
                  "F=<mailer@sender.example> temporarily rejected RCPT <%s@example.com>: "
                  "Rate limit exceeded (rate 120.3 / 1h)\n",
                  date.c_str(), peer, port, user);
    break;
  case 3:
    std::snprintf(line, sizeof line,
                  "%s rejected EHLO from [192.0.2.%u]:%u I=[192.0.2.25]:25: syntactically "
                  "invalid argument(s): mail_partner_example\n",
                  date.c_str(), peer, port);
    break;
  case 4: // the headers exim dumps after a rejection: no stamp, a flag and a space
    std::snprintf(line, sizeof line,
                  "P Received: from [192.0.2.%u] (helo=mail.partner.example) by mx1.example.com "
                  "with esmtp (Exim 4.96) id %s for %s@example.com\n",
                  peer, id.c_str(), user);
    break;
  case 5:
    std::snprintf(line, sizeof line, "  Subject: Your invoice %u is ready\n",
                  static_cast<unsigned>(rng.below(100000)));
    break;
  case 6:
    std::snprintf(line, sizeof line, "F From: \"Partner News\" <news@partner.example>\n");
    break;
  case 7:
    std::snprintf(line, sizeof line,
                  "%s %s <= news@partner.example H=mail.partner.example [192.0.2.%u]:%u "
                  "I=[192.0.2.25]:25 P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=%u "
                  "id=%u@partner.example\n",
                  date.c_str(), id.c_str(), peer, port,
                  2000 + static_cast<unsigned>(rng.below(90000)),
                  static_cast<unsigned>(rng.below(1000000)));
    break;
  case 8:
  case 9:
    std::snprintf(line, sizeof line,
                  "%s %s => %s@example.com R=filter_forward T=remote_smtp H=127.0.0.1 "
                  "[127.0.0.1]:2525 C=\"250 OK id=%s\"\n",
                  date.c_str(), id.c_str(), user, message_id(rng).c_str());
    break;
  case 10:
    std::snprintf(line, sizeof line, "%s %s Completed\n", date.c_str(), id.c_str());
    break;
  default:
    std::snprintf(line, sizeof line,
                  "%s TLS error on connection from (mail.partner.example) [192.0.2.%u]:%u "
                  "I=[192.0.2.25]:25 (SSL_accept): error:0A000412:SSL routines::sslv3 alert bad "
                  "certificate\n",
                  date.c_str(), peer, port);
  }
  return line;
}

} // namespace

IpAddress replay_attacker(uint64_t number, double ipv6_share) {
  uint64_t h = (number + 1) * 0x9E3779B97F4A7C15ull;
  bool v6 = static_cast<double>(h >> 40) / static_cast<double>(1ull << 24) < ipv6_share;
  if (v6) {
    std::array<uint8_t, 16> bytes{0x20, 0x01, 0x0d, 0xb8, 0x00, 0xa7};
    for (int i = 0; i < 8; ++i)
      bytes[15 - i] = static_cast<uint8_t>(number >> (8 * i));
    return IpAddress::v6_bytes(bytes.data());
  }
  return IpAddress::v4((100u << 24 | 64u << 16) + static_cast<uint32_t>(number % (1u << 22)));
}

IpAddress ReplayLog::attacker(uint64_t index) const {
  return replay_attacker(first_attacker + index, ipv6_share);
}

uint64_t ReplayLog::expected_bans(const std::vector<int> &maxretry) const {
  uint64_t bans = 0;
  for (uint32_t n : failures_of)
    for (int m : maxretry)
      bans += n >= static_cast<uint32_t>(m);
  return bans;
}

std::vector<IpAddress> ReplayLog::banned(int maxretry) const {
  std::vector<IpAddress> out;
  for (size_t i = 0; i < failures_of.size(); ++i)
    if (failures_of[i] >= static_cast<uint32_t>(maxretry))
      out.push_back(attacker(i));
  return out;
}

ReplayLog generate_replay_log(const ReplayLogOptions &o) {
  ReplayLog log;
  log.first_attacker = o.first_attacker;
  log.ipv6_share = o.ipv6_share;
  log.lines = o.lines;
  log.failures_of.assign(o.attackers, 0);
  log.text.reserve(o.lines * 140);
  Rng rng{o.seed * 0x9E3779B97F4A7C15ull + 7};
  std::vector<std::string> addresses;
  addresses.reserve(o.attackers);
  for (uint64_t i = 0; i < o.attackers; ++i)
    addresses.push_back(log.attacker(i).to_string());
  std::time_t current = -1;
  std::string date;
  for (uint64_t i = 0; i < o.lines; ++i) {
    std::time_t t = o.first_stamp +
                    static_cast<std::time_t>(o.span_seconds * static_cast<int64_t>(i) /
                                             static_cast<int64_t>(std::max<uint64_t>(o.lines, 1)));
    if (t != current) {
      current = t;
      date = stamp(t);
    }
    if (o.attackers > 0 && rng.unit() < o.failure_share) {
      uint64_t a = rng.below(o.attackers);
      ++log.failures_of[a];
      ++log.failure_lines;
      log.text += failure_line(rng, date, addresses[a]);
    } else {
      log.text += other_line(rng, date);
    }
  }
  return log;
}

} // namespace mcf2b::bench
