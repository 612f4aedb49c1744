// SPDX-License-Identifier: GPL-2.0-only
// Log replay, end to end: a generated MailCleaner exim log (reject and main log lines,
// a share of failures from many attackers, some IPv6) renamed into place as at a
// rotation, read by mcf2bd (XDP attached in a network namespace, the four mc-exim
// tiers), and by fail2ban 1.0.2 (run privately, the same filter, the same four tiers),
// in alternating rounds. Per round it checks that every line was read, every expected
// ban made, and (mcf2bd) every banned source dropped by the attached program. Besides:
// - the same binary on the same kind of file with stamps 100 days old (every line
//   matched, then dropped before any window, ban or store work): the matcher's share;
// - `status` answered while the backlog is read (p99 over the catch-up);
// - resident memory idle (after start) and after the rounds;
// - the same kind of lines appended in small writes at a fixed rate: CPU per line there.
//
//   replay_bench [--lines N] [--failure-share F] [--attackers N] [--ipv6-share F]
//                [--rounds N] [--fail2ban-lines N] [--append-lines N] [--append-rate N]
//                [--read-interval MS]   (mcf2bd's read_interval: 0, its default, reads a
//                                        log at every write)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "bench/daemon_probes/pinned_ban_maps.h"
#include "bench/daemon_probes/process_usage.h"
#include "bench/latency/fail2ban_server.h"
#include "bench/replay/replay_log.h"
#include "tests/fixtures/bpffs_pin_dir.h"
#include "tests/fixtures/daemon_process.h"
#include "tests/fixtures/netns_pair.h"
#include "tests/fixtures/requirements.h"

#ifndef MCF2B_FILTER_DIR
#define MCF2B_FILTER_DIR ""
#endif

using namespace mcf2b;
using namespace mcf2b::bench;
using namespace mcf2b::testing;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint16_t kPort = 25;
struct Tier {
  const char *name;
  int maxretry, findtime, bantime;
};
// MailCleaner's four mc-exim tiers (as shipped).
constexpr Tier kTiers[] = {{"mc-exim-1d", 5, 3600, 86400},
                           {"mc-exim-1w", 10, 172800, 604800},
                           {"mc-exim-1m", 15, 1209600, 2678400},
                           {"mc-exim-1y", 20, 5356800, 20586000}};

std::vector<int> thresholds() {
  std::vector<int> out;
  for (const auto &t : kTiers)
    out.push_back(t.maxretry);
  return out;
}

struct Args {
  uint64_t lines = 1'000'000;
  double failure_share = 0.10;
  uint64_t attackers = 10'000;
  double ipv6_share = 0.10;
  uint32_t rounds = 3;
  uint64_t fail2ban_lines = 20'000;
  uint64_t append_lines = 100'000;
  uint64_t append_rate = 10'000; // lines per second
  int read_interval_ms = 0;       // mcf2bd's read_interval (its default)
};

std::optional<Args> parse(int argc, char **argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const char *v = argv[i + 1];
    if (k == "--lines")
      a.lines = std::strtoull(v, nullptr, 10);
    else if (k == "--failure-share")
      a.failure_share = std::strtod(v, nullptr);
    else if (k == "--attackers")
      a.attackers = std::strtoull(v, nullptr, 10);
    else if (k == "--ipv6-share")
      a.ipv6_share = std::strtod(v, nullptr);
    else if (k == "--rounds")
      a.rounds = uint32_t(std::strtoul(v, nullptr, 10));
    else if (k == "--fail2ban-lines")
      a.fail2ban_lines = std::strtoull(v, nullptr, 10);
    else if (k == "--append-lines")
      a.append_lines = std::strtoull(v, nullptr, 10);
    else if (k == "--append-rate")
      a.append_rate = std::strtoull(v, nullptr, 10);
    else if (k == "--read-interval")
      a.read_interval_ms = int(std::strtol(v, nullptr, 10));
    else
      return std::nullopt;
  }
  if (argc % 2 == 0 || a.lines == 0 || a.attackers == 0 || a.rounds == 0 || a.append_rate == 0)
    return std::nullopt;
  return a;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU time of a process in nanoseconds of scheduler time (every thread's), plus what its
// reaped children (ipset restore) used: finer than the 10 ms ticks of /proc/PID/stat.
double cpu_seconds_fine(int pid) {
  double total = 0;
  std::error_code ec;
  for (const auto &task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "schedstat");
    unsigned long long ns = 0;
    if (in >> ns)
      total += double(ns) / 1e9;
  }
  // Children: cutime + cstime from stat (what cpu_seconds adds beyond the process).
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t name_end = text.rfind(')');
  unsigned long long v[2] = {};
  if (name_end != std::string::npos &&
      std::sscanf(text.c_str() + name_end + 2,
                  "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %llu %llu", &v[0],
                  &v[1]) == 2)
    total += double(v[0] + v[1]) / double(::sysconf(_SC_CLK_TCK));
  return total;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * double(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double median(std::vector<double> v) {
  return percentile(std::move(v), 0.5);
}

// Writes `text` next to `path` (same file system, a folder nobody watches) and renames it
// into place: a rotation, the new file holding the whole backlog.
Status rename_into_place(const std::string &text, const std::string &path,
                         const std::string &staging) {
  {
    std::ofstream out(staging, std::ios::trunc | std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out.flush())
      return Error::sys("write " + staging);
  }
  if (::rename(staging.c_str(), path.c_str()) != 0)
    return Error::sys("rename " + staging + " to " + path);
  return {};
}

struct DaemonCounts {
  uint64_t lines = 0, bans = 0;
};

Result<DaemonCounts> daemon_counts(const DaemonProcess &d) {
  auto r = d.call("stats");
  if (!r)
    return r.error();
  if (!r->ok)
    return Error::msg("stats: " + r->error.message);
  DaemonCounts c;
  c.lines = r->result["daemon"]["lines"].get<uint64_t>();
  for (const auto &j : r->result["jails"])
    for (const auto &t : kTiers)
      if (j["jail"] == t.name)
        c.bans += j["bans"].get<uint64_t>();
  return c;
}

struct Round {
  double wall_s = 0, cpu_s = 0;
  uint64_t lines = 0, bytes = 0;
};

// mcf2bd reads one log renamed into place; returns when every line was read and the
// expected bans are made. `status` is timed all along the catch-up.
Result<Round> replay_ours(DaemonProcess &d, int pid, const ReplayLog &log, uint64_t bans_before,
                          uint64_t expected_bans, std::vector<double> &status_ms) {
  auto before = daemon_counts(d);
  if (!before)
    return before.error();
  double cpu0 = cpu_seconds_fine(pid);
  Clock::time_point t0 = Clock::now();
  if (auto st = rename_into_place(log.text, d.log_file("exim.log"), d.dir() + "/staging.log"); !st)
    return st.error();
  Round r;
  r.lines = log.lines;
  r.bytes = log.text.size();
  for (;;) {
    Clock::time_point s0 = Clock::now();
    // `status` as an admin types it first (the enabled jails): what is timed is the
    // wait for the loop, not the size of an answer listing tens of thousands of bans.
    auto status = d.call("status");
    double ms = seconds_since(s0) * 1e3;
    auto now = daemon_counts(d);
    if (!status || !now)
      return Error::msg("the daemon stopped answering");
    if (now->lines >= before->lines + log.lines && now->bans >= bans_before + expected_bans) {
      r.wall_s = seconds_since(t0);
      r.cpu_s = cpu_seconds_fine(pid) - cpu0;
      return r;
    }
    if (now->lines < before->lines + log.lines)
      status_ms.push_back(ms);
    if (seconds_since(t0) > 600)
      return Error::msg("mcf2bd read " + std::to_string(now->lines - before->lines) + " of " +
                        std::to_string(log.lines) + " lines and made " +
                        std::to_string(now->bans - bans_before) + " of " +
                        std::to_string(expected_bans) + " bans in 600 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

struct Fail2banTotals {
  uint64_t failed = 0, banned = 0;
};

Result<Fail2banTotals> fail2ban_totals(const Fail2banServer &f) {
  Fail2banTotals t;
  for (const auto &tier : kTiers) {
    auto c = f.counts(tier.name);
    if (!c)
      return c.error();
    t.failed += c->total_failed;
    t.banned += c->total_banned;
  }
  return t;
}

// fail2ban reads one log renamed into place; done when its four jails counted every
// failure line once each and made the expected bans.
Result<Round> replay_fail2ban(const Fail2banServer &f, int pid, const ReplayLog &log,
                              const Fail2banTotals &before, uint64_t expected_bans,
                              const std::string &staging) {
  double cpu0 = cpu_seconds_fine(pid);
  Clock::time_point t0 = Clock::now();
  if (auto st = rename_into_place(log.text, f.log_path(), staging); !st)
    return st.error();
  Round r;
  r.lines = log.lines;
  r.bytes = log.text.size();
  const uint64_t want_failed = before.failed + std::size(kTiers) * log.failure_lines;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto now = fail2ban_totals(f);
    if (!now)
      return now.error();
    if (now->failed >= want_failed && now->banned >= before.banned + expected_bans) {
      r.wall_s = seconds_since(t0);
      r.cpu_s = cpu_seconds_fine(pid) - cpu0;
      return r;
    }
    if (seconds_since(t0) > 1800)
      return Error::msg("fail2ban counted " + std::to_string(now->failed - before.failed) + " of " +
                        std::to_string(want_failed - before.failed) + " failures and made " +
                        std::to_string(now->banned - before.banned) + " of " +
                        std::to_string(expected_bans) + " bans in 1800 s");
  }
}

int fail(const std::string &what) {
  std::fprintf(stderr, "replay: %s\n", what.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  auto parsed = parse(argc, argv);
  if (!parsed) {
    std::fprintf(stderr, "usage: replay_bench [--lines N] [--failure-share F] [--attackers N] "
                         "[--ipv6-share F] [--rounds N] [--fail2ban-lines N] [--append-lines N] "
                         "[--append-rate LINES_PER_S] [--read-interval MS]\n");
    return 2;
  }
  const Args a = *parsed;
  if (!require_root() || !require_program("fail2ban-server") || !require_program("nsenter"))
    return fail("needs root, nsenter and fail2ban");
  // fail2ban reads fewer lines (it is slow); the same attacker density, so the same mix
  // of failures and bans per line: compared per line.
  const uint64_t f2b_attackers =
      std::max<uint64_t>(1, a.attackers * a.fail2ban_lines / std::max<uint64_t>(1, a.lines));

  std::fprintf(stderr, "replay: namespaces, mcf2bd (XDP attached) and fail2ban 1.0.2\n");
  auto ours_pair = NetnsPair::create();
  auto theirs_pair = NetnsPair::create();
  auto pins = BpffsPinDir::create();
  if (!ours_pair || !theirs_pair || !pins)
    return fail("namespaces or bpffs folder");
  DaemonOptions o;
  o.netns = ours_pair->b().ns;
  o.interfaces = {ours_pair->b().ifname};
  o.pin_root = pins->path() + "/mcf2b";
  o.jail_file = "[mc-exim]\nenabled = true\nlogpath = {logs}/exim.log\n";
  o.config_lines = "log_level = info\n"; // the production default, not the fixture's debug
  if (a.read_interval_ms > 0)
    o.config_lines += "read_interval = " + std::to_string(a.read_interval_ms) + "\n";
  auto daemon = DaemonProcess::start(o);
  if (!daemon)
    return fail(daemon.error().message());
  auto maps = PinnedBanMaps::open(o.pin_root, o.interfaces[0]);
  if (!maps)
    return fail(maps.error().message());
  const int pid = peer_pid(daemon->socket_path());

  std::vector<Fail2banJail> jails;
  for (const auto &t : kTiers) {
    Fail2banJail j;
    j.name = t.name;
    j.filter_file = std::string(MCF2B_FILTER_DIR) + "/mc-exim-filter.conf";
    j.maxretry = t.maxretry;
    j.findtime = t.findtime;
    j.bantime = t.bantime;
    j.ipset_action = false; // bans counted, not enforced: its log reading is what is compared
    jails.push_back(j);
  }
  auto f2b = Fail2banServer::start(theirs_pair->b().ns, jails);
  if (!f2b)
    return fail(f2b.error().message());
  int f2b_pid = 0;
  {
    std::ifstream pid_file(f2b->pid_path());
    pid_file >> f2b_pid;
  }
  if (pid <= 0 || f2b_pid <= 0)
    return fail("cannot find the daemons' process ids");
  const std::string f2b_staging =
      std::filesystem::path(f2b->log_path()).parent_path().parent_path().string() +
      "/replay-fail2ban-" + std::to_string(::getpid()) + ".log";

  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double rss_idle = double(rss_bytes(pid)) / (1 << 20);
  std::fprintf(stderr, "replay: mcf2bd resident %.1f MB idle (four exim tiers)\n", rss_idle);

  std::vector<Round> ours, matcher_only, theirs;
  std::vector<double> status_ms;
  uint64_t our_bans = 0, f2b_bans = 0, not_dropped = 0, checked = 0, first_round_bans = 0;
  Fail2banTotals f2b_before;
  uint64_t next_attacker = 0;
  for (uint32_t r = 0; r < a.rounds; ++r) {
    ReplayLogOptions lo;
    lo.lines = a.lines;
    lo.failure_share = a.failure_share;
    lo.attackers = a.attackers;
    lo.ipv6_share = a.ipv6_share;
    lo.seed = r + 1;
    // 1) mcf2bd, stamps now: every failure counts.
    lo.first_attacker = next_attacker;
    next_attacker += a.attackers;
    lo.first_stamp = std::time(nullptr) - 120;
    lo.span_seconds = 60;
    {
      ReplayLog log = generate_replay_log(lo);
      uint64_t expected = log.expected_bans(thresholds());
      auto round = replay_ours(*daemon, pid, log, our_bans, expected, status_ms);
      if (!round)
        return fail("mcf2bd: " + round.error().message() + "\n" + daemon->output());
      our_bans += expected;
      if (r == 0)
        first_round_bans = expected;
      ours.push_back(*round);
      // Every source the first tier banned is dropped by the attached program.
      for (const auto &ip : log.banned(kTiers[0].maxretry)) {
        ++checked;
        if (!maps->drops(ip, kPort))
          ++not_dropped;
      }
      std::fprintf(stderr,
                   "  round %u mcf2bd: %" PRIu64 " lines, %.1f MB, %" PRIu64
                   " bans: %.3f s wall, %.3f s CPU (%.2f us/line)\n",
                   r + 1, log.lines, double(log.text.size()) / 1e6, expected, round->wall_s,
                   round->cpu_s, round->cpu_s / double(log.lines) * 1e6);
    }
    // 2) the same binary, the same kind of file, stamps 100 days old.
    lo.first_attacker = next_attacker;
    next_attacker += a.attackers;
    lo.first_stamp = std::time(nullptr) - 100 * 86400;
    {
      ReplayLog log = generate_replay_log(lo);
      std::vector<double> ignored;
      auto round = replay_ours(*daemon, pid, log, our_bans, 0, ignored);
      if (!round)
        return fail("mcf2bd (old stamps): " + round.error().message() + "\n" + daemon->output());
      matcher_only.push_back(*round);
      std::fprintf(stderr, "  round %u matcher only (old stamps): %.3f s CPU (%.2f us/line)\n",
                   r + 1, round->cpu_s, round->cpu_s / double(log.lines) * 1e6);
    }
    // 3) fail2ban, a smaller log of the same mix.
    if (a.fail2ban_lines > 0) {
      ReplayLogOptions fo = lo;
      fo.lines = a.fail2ban_lines;
      fo.attackers = f2b_attackers;
      fo.first_attacker = (1u << 21) + r * f2b_attackers;
      fo.first_stamp = std::time(nullptr) - 120;
      ReplayLog log = generate_replay_log(fo);
      uint64_t expected = log.expected_bans(thresholds());
      auto round = replay_fail2ban(*f2b, f2b_pid, log, f2b_before, expected, f2b_staging);
      if (!round)
        return fail("fail2ban: " + round.error().message() + "\n" + f2b->log());
      if (auto t = fail2ban_totals(*f2b); t)
        f2b_before = *t;
      f2b_bans += expected;
      theirs.push_back(*round);
      std::fprintf(stderr,
                   "  round %u fail2ban: %" PRIu64 " lines, %" PRIu64
                   " bans: %.1f s wall, %.1f s CPU (%.1f us/line)\n",
                   r + 1, log.lines, expected, round->wall_s, round->cpu_s,
                   round->cpu_s / double(log.lines) * 1e6);
    }
  }

  // Small appends at a fixed rate: the live case.
  double append_cpu_per_line = 0;
  if (a.append_lines > 0) {
    ReplayLogOptions lo;
    lo.lines = a.append_lines;
    lo.failure_share = a.failure_share;
    lo.attackers = std::max<uint64_t>(1, a.attackers * a.append_lines / a.lines);
    lo.ipv6_share = a.ipv6_share;
    lo.seed = 99;
    lo.first_attacker = next_attacker;
    lo.first_stamp = std::time(nullptr) - 60;
    lo.span_seconds = 60;
    ReplayLog log = generate_replay_log(lo);
    uint64_t expected = log.expected_bans(thresholds());
    auto before = daemon_counts(*daemon);
    if (!before)
      return fail(before.error().message());
    const uint64_t per_write = std::max<uint64_t>(1, a.append_rate / 100); // 100 writes/s
    std::fprintf(stderr,
                 "replay: %" PRIu64 " lines appended %" PRIu64 " at a time, %" PRIu64 " lines/s\n",
                 log.lines, per_write, a.append_rate);
    std::ofstream out(daemon->log_file("exim.log"), std::ios::app | std::ios::binary);
    double cpu0 = cpu_seconds_fine(pid);
    Clock::time_point t0 = Clock::now();
    size_t at = 0;
    uint64_t written = 0;
    while (at < log.text.size()) {
      size_t end = at;
      for (uint64_t n = 0; n < per_write && end < log.text.size(); ++n)
        end = log.text.find('\n', end) + 1;
      out.write(log.text.data() + at, static_cast<std::streamsize>(end - at));
      out.flush();
      written += per_write;
      at = end;
      auto due = t0 + std::chrono::microseconds(written * 1'000'000 / a.append_rate);
      std::this_thread::sleep_until(due);
    }
    for (;;) {
      auto now = daemon_counts(*daemon);
      if (!now)
        return fail(now.error().message());
      if (now->lines >= before->lines + log.lines && now->bans >= our_bans + expected)
        break;
      if (seconds_since(t0) > 600)
        return fail("appends: not every line read or ban made in 600 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    our_bans += expected;
    append_cpu_per_line = (cpu_seconds_fine(pid) - cpu0) / double(log.lines) * 1e6;
    std::fprintf(stderr, "  appends: %.2f us CPU per line\n", append_cpu_per_line);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double rss_after = double(rss_bytes(pid)) / (1 << 20);

  auto per_line = [](const std::vector<Round> &v) {
    std::vector<double> x;
    for (const auto &r : v)
      x.push_back(r.cpu_s / double(r.lines) * 1e6);
    return median(x);
  };
  auto wall_rate = [](const std::vector<Round> &v, bool bytes) {
    std::vector<double> x;
    for (const auto &r : v)
      x.push_back(double(bytes ? r.bytes : r.lines) / r.wall_s);
    return median(x);
  };
  auto cpu_rate = [](const std::vector<Round> &v) {
    std::vector<double> x;
    for (const auto &r : v)
      x.push_back(double(r.bytes) / r.cpu_s);
    return median(x);
  };
  const double ours_us = per_line(ours), old_us = per_line(matcher_only), f2b_us = per_line(theirs);
  const double bytes_per_line = double(ours.front().bytes) / double(ours.front().lines);
  double load[3] = {};
  ::getloadavg(load, 3);
  std::fprintf(stderr,
               "replay: mcf2bd %.2f us CPU/line (%.0f MB/s per core, %.0f MB/s wall), matcher "
               "alone %.2f us/line, fail2ban %.1f us/line (on %" PRIu64
               "-line logs of the same mix, compared per line); status p99 %.1f ms during "
               "catch-up; %" PRIu64 " of %" PRIu64 " banned sources not dropped; load %.2f\n",
               ours_us, cpu_rate(ours) / 1e6, wall_rate(ours, true) / 1e6, old_us, f2b_us,
               a.fail2ban_lines, percentile(status_ms, 0.99), not_dropped, checked, load[0]);
  if (not_dropped > 0)
    return fail(std::to_string(not_dropped) + " banned sources were not dropped by XDP");
  std::printf(
      "{\"lines\":%" PRIu64 ",\"bytes_per_line\":%.0f,\"rounds\":%u,\"attackers\":%" PRIu64
      ",\"failure_share\":%.3f,\"ipv6_share\":%.3f,\"bans_per_round\":%" PRIu64
      ",\"lines_per_s\":%.0f,\"mb_per_s\":%.1f,\"mb_per_s_per_core\":%.1f,"
      "\"cpu_us_per_line\":%.3f,\"fail2ban_lines\":%" PRIu64 ",\"fail2ban_cpu_us_per_line\":%.1f,"
      "\"ratio_vs_fail2ban\":%.0f,\"matcher_only_mb_per_s\":%.1f,\"matcher_only_cpu_us_per_line\":"
      "%.3f,\"daemon_over_matcher\":%.2f,\"ctl_p99_ms_during_catchup\":%.2f,"
      "\"ctl_samples\":%zu,\"rss_mb_idle\":%.1f,\"rss_mb_after\":%.1f,"
      "\"append_cpu_us_per_line\":%.3f,\"append_over_bulk\":%.2f,\"append_rate\":%" PRIu64
      ",\"read_interval_ms\":%d,\"banned_checked_dropped\":%" PRIu64 ",\"loadavg\":%.2f,"
      "\"note\":\"fail2ban reads a smaller log of the same mix (it is slow), compared per "
      "line; fail2ban without action\"}\n",
      a.lines, bytes_per_line, a.rounds, a.attackers, a.failure_share, a.ipv6_share,
      first_round_bans, wall_rate(ours, false), wall_rate(ours, true) / 1e6, cpu_rate(ours) / 1e6,
      ours_us, a.fail2ban_lines, f2b_us, ours_us > 0 ? f2b_us / ours_us : 0,
      cpu_rate(matcher_only) / 1e6, old_us, old_us > 0 ? ours_us / old_us : 0,
      percentile(status_ms, 0.99), status_ms.size(), rss_idle, rss_after, append_cpu_per_line,
      ours_us > 0 ? append_cpu_per_line / ours_us : 0, a.append_rate, a.read_interval_ms, checked,
      load[0]);
  return 0;
}
