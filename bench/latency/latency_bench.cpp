// SPDX-License-Identifier: GPL-2.0-only
// Ban latency: from the write() of the log line that crosses maxretry to the address
// being enforced, for mcf2bd and for fail2ban (Debian's package, run privately with an
// ipset action) on the same lines, in the same run, alternating rounds.
//
// Each side has its own pair of network namespaces: the daemon in "b" (mcf2bd: XDP on
// b's veth and its ipset mirror; fail2ban: iptables-ipset in b), the attacker in "a"
// sending spoofed UDP to port 25 of b from the address being banned. Per ban, after the
// write the bench busy-polls, each look a few microseconds:
//   map    mcf2bd only: the program attached in b drops a test packet from the address
//          (BPF_PROG_TEST_RUN on the pinned program: the kernel's verdict over its maps);
//   ipset  the jail's ipset holds the address (IPSET_CMD_TEST over netlink);
//   drop   a datagram from the address is dropped: it is sent, then one from a clean
//          address on the same path; when the clean one arrives at b's receiver and the
//          banned one did not, the banned one was dropped (veth keeps the order). The
//          time is taken before that banned datagram was sent.
// The four earlier failures of each address are written and counted by the daemon
// before the timed line, so only the crossing line's path is measured.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>

#include "base/fd.h"
#include "bench/daemon_probes/ipset_probe.h"
#include "bench/daemon_probes/pinned_ban_maps.h"
#include "bench/daemon_probes/process_usage.h"
#include "bench/daemon_probes/udp_traffic.h"
#include "bench/latency/fail2ban_server.h"
#include "tests/fixtures/bpffs_pin_dir.h"
#include "tests/fixtures/daemon_process.h"
#include "tests/fixtures/netns_pair.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"

#ifndef MCF2B_FILTER_DIR
#define MCF2B_FILTER_DIR ""
#endif

using namespace mcf2b;
using namespace mcf2b::bench;
using namespace mcf2b::testing;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kMaxretry = 5;            // mc-exim-1d's
constexpr uint16_t kPort = 25;          // one of mc-exim's ports
constexpr int kBanTimeoutMs = 20000;    // a ban not enforced by then is reported as lost
const char *kJail = "mc-exim-1d";

// The i-th attacker: 198.19.1.0 + i (benchmark range; 198.18.0.0/24 is the link).
IpAddress attacker(uint32_t i) { return IpAddress::v4((198u << 24 | 19u << 16 | 1u << 8) + i); }

// An exim reject-log line of MailCleaner's kind, stamped now (local time).
std::string exim_line(const IpAddress &ip, int n) {
  char stamp[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(stamp) + " H=(attacker" + std::to_string(n) + ") [" + ip.to_string() +
         "] F=<spam@example.org> rejected RCPT <user" + std::to_string(n) +
         "@example.com>: relay not permitted\n";
}

double us_since(Clock::time_point t0, Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(t - t0).count();
}

struct Samples {
  std::vector<double> map, ipset, drop;
  uint64_t lost = 0; // bans not enforced within the time-out
  double cpu_s = 0;  // the daemon's CPU time over the timed blocks
};

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * double(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// One daemon under test and how to observe it.
struct Side {
  std::string name;
  const NetnsPair *pair = nullptr;
  std::string log_path;
  std::string set_name;
  std::optional<PinnedBanMaps> maps; // mcf2bd only
  uint32_t slot = 0;
  std::function<Result<uint64_t>()> failures_counted; // lines the daemon has taken in
  std::optional<SpoofedUdpSender> sender;
  std::optional<UdpReceiver> receiver;
  std::optional<IpsetProbe> ipset;
  int pid = -1;         // the daemon's, for its CPU time
  Fd log;               // the log file, or the pipe into the journal writer
  bool journal = false; // lines go to the journal as entries (journal variant)
  uint64_t own_written = 0;
  uint64_t *written_ptr = nullptr; // sides of one daemon count together
  uint64_t &written() { return written_ptr ? *written_ptr : own_written; }
  uint64_t tag = 0;
  Samples samples;
};

Status open_probes(Side &s) {
  auto sender = SpoofedUdpSender::open(s.pair->a().ns);
  if (!sender)
    return sender.error();
  s.sender.emplace(std::move(*sender));
  auto receiver = UdpReceiver::open(s.pair->b().ns, kPort);
  if (!receiver)
    return receiver.error();
  s.receiver.emplace(std::move(*receiver));
  auto probe = IpsetProbe::open(s.pair->b().ns);
  if (!probe)
    return probe.error();
  s.ipset.emplace(std::move(*probe));
  s.log.reset(::open(s.log_path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (!s.log)
    return Error::sys("open " + s.log_path);
  // The attacker range routes back to a, so reverse-path filtering in b keeps it.
  auto r = NetnsPair::exec(s.pair->b(), {"ip", "route", "replace", "198.19.0.0/16", "via",
                                         s.pair->a().addr4, "dev", s.pair->b().ifname});
  if (!r || r->exit_code != 0)
    return Error::msg("route the attacker range in " + s.pair->b().ns);
  return {};
}

// The journal variant's lines as journal entries in the export format: each exim line's
// text after its timestamp is the MESSAGE (fail2ban's journal line for an entry with no
// host or identifier is the message alone), stamped now.
std::string journal_entries(const std::string &lines) {
  std::string out;
  size_t at = 0;
  while (at < lines.size()) {
    size_t end = lines.find('\n', at);
    std::string line = lines.substr(at, end - at);
    at = end + 1;
    timespec rt{}, mono{};
    ::clock_gettime(CLOCK_REALTIME, &rt);
    ::clock_gettime(CLOCK_MONOTONIC, &mono);
    out += "__REALTIME_TIMESTAMP=" +
           std::to_string(uint64_t(rt.tv_sec) * 1000000 + uint64_t(rt.tv_nsec) / 1000) + "\n";
    out += "__MONOTONIC_TIMESTAMP=" +
           std::to_string(uint64_t(mono.tv_sec) * 1000000 + uint64_t(mono.tv_nsec) / 1000) + "\n";
    out += "_BOOT_ID=6d63663262206c6174656e6379206a6f\nMCF2B_BENCH=exim\n";
    out += "MESSAGE=" + line.substr(19) + "\n\n"; // after "YYYY-mm-dd HH:MM:SS"
  }
  return out;
}

Status write_all(Side &s, const std::string &text, uint64_t lines) {
  const std::string data = s.journal ? journal_entries(text) : text;
  if (::write(s.log.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size()))
    return Error::sys("write " + s.log_path);
  s.written() += lines;
  return {};
}

// systemd's own journal writer, fed the export format through a pipe: the journal
// variant's entries are written as journald writes them.
struct JournalWriterProcess {
  pid_t pid = -1;
  ~JournalWriterProcess() {
    if (pid > 0)
      ::waitpid(pid, nullptr, 0); // its stdin (the side's pipe) is closed first
  }
  // Starts it writing `file`; returns the pipe's write end.
  Result<Fd> start(const std::string &file) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return Error::sys("pipe");
    Fd read_end(fds[0]), write_end(fds[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, read_end.get(), 0);
    std::string output = "--output=" + file;
    std::string program = "/lib/systemd/systemd-journal-remote";
    char *argv[] = {program.data(), output.data(), const_cast<char *>("-"), nullptr};
    int r = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (r != 0)
      return Error::sys("start " + program, r);
    return write_end;
  }
};

Status wait_counted(Side &s) {
  auto deadline = Clock::now() + std::chrono::seconds(60);
  for (;;) {
    auto n = s.failures_counted();
    if (n && *n >= s.written())
      return {};
    if (Clock::now() > deadline)
      return Error::msg(s.name + " did not take in " + std::to_string(s.written()) +
                        " lines within 60 s (" + (n ? std::to_string(*n) : n.error().message()) +
                        ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(n && *n + 50 >= s.written() ? 2 : 100));
  }
}

// Whether a datagram from `source` is dropped now: it is sent, then a clean one behind
// it; the receiver sees the clean one and tells whether the first came through.
std::optional<bool> dropped_now(Side &s, const IpAddress &source) {
  const IpAddress dst = IpAddress::parse(s.pair->b().addr4).value();
  const IpAddress clean = IpAddress::parse(s.pair->a().addr4).value();
  uint64_t banned_tag = ++s.tag, clean_tag = ++s.tag;
  if (!s.sender->send(source, dst, kPort, banned_tag) ||
      !s.sender->send(clean, dst, kPort, clean_tag))
    return std::nullopt;
  bool banned_seen = false;
  for (;;) {
    auto d = s.receiver->receive(200);
    if (!d)
      return std::nullopt; // the clean one was lost too: no verdict
    if (d->tag == banned_tag)
      banned_seen = true;
    if (d->tag == clean_tag)
      return !banned_seen;
  }
}

// Times one ban: writes the crossing line, polls until map (if any), ipset and drop.
Status time_ban(Side &s, const IpAddress &a, bool record) {
  std::string line = exim_line(a, kMaxretry - 1);
  std::optional<double> map_us, ipset_us, drop_us;
  if (!s.maps)
    map_us = 0;
  Clock::time_point t0 = Clock::now();
  if (auto st = write_all(s, line, 1); !st)
    return st;
  while (!map_us || !ipset_us || !drop_us) {
    Clock::time_point t = Clock::now();
    if (us_since(t0, t) > kBanTimeoutMs * 1000.0) {
      ++s.samples.lost;
      std::fprintf(stderr, "  %s: %s not enforced within %d ms (map %d ipset %d drop %d)\n",
                   s.name.c_str(), a.to_string().c_str(), kBanTimeoutMs, bool(map_us),
                   bool(ipset_us), bool(drop_us));
      return {};
    }
    if (!map_us && s.maps->drops(a, kPort))
      map_us = us_since(t0, t);
    if (!ipset_us) {
      auto in = s.ipset->contains(s.set_name, a);
      if (!in)
        return in.error();
      if (*in)
        ipset_us = us_since(t0, Clock::now());
    }
    if (!drop_us) {
      Clock::time_point sent = Clock::now();
      if (auto d = dropped_now(s, a); d && *d)
        drop_us = us_since(t0, sent);
    }
  }
  if (record) {
    if (s.maps)
      s.samples.map.push_back(*map_us);
    s.samples.ipset.push_back(*ipset_us);
    s.samples.drop.push_back(*drop_us);
  }
  return {};
}

// A block of bans: the first kMaxretry - 1 failures of every address in one write,
// counted by the daemon, then each address's crossing line timed one after the other.
Status run_block(Side &s, uint32_t first, uint32_t count, bool record) {
  double cpu0 = cpu_seconds(s.pid);
  std::string prep;
  for (int n = 0; n < kMaxretry - 1; ++n)
    for (uint32_t i = first; i < first + count; ++i)
      prep += exim_line(attacker(i), n);
  if (auto st = write_all(s, prep, uint64_t(count) * (kMaxretry - 1)); !st)
    return st;
  if (auto st = wait_counted(s); !st)
    return st;
  for (uint32_t i = first; i < first + count; ++i)
    if (auto st = time_ban(s, attacker(i), record); !st)
      return st;
  auto st = wait_counted(s);
  if (record)
    s.samples.cpu_s += cpu_seconds(s.pid) - cpu0;
  return st;
}

void print_side(const char *label, const Samples &s) {
  auto line = [&](const char *what, const std::vector<double> &v) {
    if (!v.empty())
      std::fprintf(stderr, "  %-8s %-6s p50 %9.0f us  p99 %9.0f us  max %9.0f us  (%zu bans)\n",
                   label, what, percentile(v, 0.50), percentile(v, 0.99),
                   *std::max_element(v.begin(), v.end()), v.size());
  };
  line("map", s.map);
  line("ipset", s.ipset);
  line("drop", s.drop);
  // Where the tail is: the slowest drops and their position in the run.
  std::vector<std::pair<double, size_t>> slow;
  for (size_t i = 0; i < s.drop.size(); ++i)
    slow.emplace_back(s.drop[i], i);
  std::sort(slow.rbegin(), slow.rend());
  std::fprintf(stderr, "  %-8s slowest drops:", label);
  for (size_t i = 0; i < std::min<size_t>(8, slow.size()); ++i)
    std::fprintf(stderr, " %.0f us (#%zu)", slow[i].first, slow[i].second);
  std::fprintf(stderr, "\n");
}

int fail(const std::string &what) {
  std::fprintf(stderr, "latency: %s\n", what.c_str());
  return 1;
}

} // namespace

int journal_main(int argc, char **argv);

int main(int argc, char **argv) {
  if (argc > 1 && std::string(argv[1]) == "journal")
    return journal_main(argc - 1, argv + 1);
  uint32_t bans = argc > 1 ? uint32_t(std::strtoul(argv[1], nullptr, 10)) : 1000;
  uint32_t f2b_bans = argc > 2 ? uint32_t(std::strtoul(argv[2], nullptr, 10)) : 1000;
  uint32_t rounds = argc > 3 ? uint32_t(std::strtoul(argv[3], nullptr, 10)) : 10;
  if (bans == 0 || rounds == 0 || bans % rounds || f2b_bans % rounds || bans > 60000 ||
      f2b_bans > 60000) {
    std::fprintf(stderr, "usage: latency_bench [BANS [FAIL2BAN_BANS [ROUNDS]]] (multiples of "
                         "ROUNDS, at most 60000)\n");
    return 2;
  }
  if (!require_root() || !require_program("ipset") || !require_program("iptables") ||
      !require_program("fail2ban-server") || !require_program("nsenter"))
    return fail("needs root, ipset, iptables, nsenter and fail2ban");

  std::fprintf(stderr, "latency: setting up two namespace pairs, mcf2bd and fail2ban\n");
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
  auto daemon = DaemonProcess::start(o);
  if (!daemon)
    return fail(daemon.error().message());

  Fail2banJail jail;
  jail.filter_file = std::string(MCF2B_FILTER_DIR) + "/mc-exim-filter.conf";
  auto f2b = Fail2banServer::start(theirs_pair->b().ns, jail);
  if (!f2b)
    return fail(f2b.error().message());

  Side ours;
  ours.name = "mcf2bd";
  ours.pair = &*ours_pair;
  ours.log_path = daemon->log_file("exim.log");
  ours.set_name = kJail;
  auto maps = PinnedBanMaps::open(o.pin_root, o.interfaces[0]);
  if (!maps)
    return fail(maps.error().message());
  ours.maps.emplace(std::move(*maps));
  auto slot = ours.maps->slot_of(kJail);
  if (!slot)
    return fail(slot.error().message());
  ours.slot = *slot;
  ours.failures_counted = [&]() -> Result<uint64_t> {
    auto r = daemon->call("stats");
    if (!r)
      return r.error();
    return r->result["daemon"]["lines"].get<uint64_t>();
  };
  Side theirs;
  theirs.name = "fail2ban";
  theirs.pair = &*theirs_pair;
  theirs.log_path = f2b->log_path();
  theirs.set_name = f2b->set_name();
  theirs.failures_counted = [&]() -> Result<uint64_t> {
    auto c = f2b->counts();
    if (!c)
      return c.error();
    return c->total_failed;
  };
  ours.pid = peer_pid(daemon->socket_path());
  {
    std::ifstream pid_file(f2b->pid_path());
    pid_file >> theirs.pid;
  }
  if (ours.pid <= 0 || theirs.pid <= 0)
    return fail("cannot find the daemons' process ids");
  for (Side *s : {&ours, &theirs})
    if (auto st = open_probes(*s); !st)
      return fail(s->name + ": " + st.error().message());

  // One untimed ban each first: fail2ban creates its ipset and rule on its first ban.
  std::fprintf(stderr, "latency: warm-up ban on each side\n");
  for (Side *s : {&ours, &theirs})
    if (auto st = run_block(*s, 0, 1, false); !st)
      return fail(s->name + ": " + st.error().message() + "\n" +
                  (s == &ours ? daemon->output() : f2b->log()));

  uint32_t per_ours = bans / rounds, per_theirs = f2b_bans / rounds;
  for (uint32_t r = 0; r < rounds; ++r) {
    uint32_t first = 1 + r * std::max(per_ours, per_theirs);
    if (auto st = run_block(ours, first, per_ours, true); !st)
      return fail("mcf2bd: " + st.error().message() + "\n" + daemon->output());
    if (per_theirs)
      if (auto st = run_block(theirs, first, per_theirs, true); !st)
        return fail("fail2ban: " + st.error().message() + "\n" + f2b->log());
    std::fprintf(stderr, "  round %u/%u: mcf2bd drop p50 %.0f us, fail2ban drop p50 %.0f us\n",
                 r + 1, rounds, percentile(ours.samples.drop, 0.5),
                 percentile(theirs.samples.drop, 0.5));
  }

  // Cross-checks: the XDP jail counter saw the drops; both daemons banned every address.
  uint64_t xdp_dropped = ours.maps->dropped(ours.slot);
  uint64_t our_bans = 0;
  if (auto st = daemon->call("stats"); st && st->ok)
    for (const auto &j : st->result["jails"])
      if (j["jail"] == kJail)
        our_bans = j["bans"].get<uint64_t>();
  uint64_t their_bans = 0;
  if (auto c = f2b->counts(); c)
    their_bans = c->total_banned;

  std::fprintf(stderr, "latency: write of the crossing line -> enforced\n");
  print_side("mcf2bd", ours.samples);
  print_side("fail2ban", theirs.samples);
  std::fprintf(stderr,
               "  mcf2bd banned %" PRIu64 ", XDP dropped %" PRIu64 " in %s; fail2ban banned %" PRIu64
               "\n",
               our_bans, xdp_dropped, kJail, their_bans);

  double load[3] = {};
  ::getloadavg(load, 3);
  const auto &a = ours.samples, &b = theirs.samples;
  double cpu_ours = a.drop.empty() ? 0 : a.cpu_s / double(a.drop.size()) * 1e6;
  double cpu_theirs = b.drop.empty() ? 0 : b.cpu_s / double(b.drop.size()) * 1e6;
  std::fprintf(stderr,
               "  daemon CPU per ban (its 5 lines, the ban, the store, the ipset): mcf2bd %.0f us, "
               "fail2ban %.0f us; load average %.2f\n",
               cpu_ours, cpu_theirs, load[0]);
  double p50 = percentile(a.drop, 0.5), p99 = percentile(a.drop, 0.99);
  double f50 = percentile(b.drop, 0.5), f99 = percentile(b.drop, 0.99);
  std::printf(
      "{\"bans\":%zu,\"p50_us\":%.0f,\"p99_us\":%.0f,\"max_us\":%.0f,"
      "\"map_p50_us\":%.0f,\"map_p99_us\":%.0f,\"drop_p50_us\":%.0f,\"drop_p99_us\":%.0f,"
      "\"ipset_p50_us\":%.0f,\"ipset_p99_us\":%.0f,\"lost\":%" PRIu64 ","
      "\"xdp_dropped_incl_test_runs\":%" PRIu64 ",\"daemon_bans\":%" PRIu64 ","
      "\"fail2ban_bans\":%zu,\"fail2ban_p50_us\":%.0f,\"fail2ban_p99_us\":%.0f,"
      "\"fail2ban_max_us\":%.0f,\"fail2ban_ipset_p50_us\":%.0f,\"fail2ban_ipset_p99_us\":%.0f,"
      "\"fail2ban_lost\":%" PRIu64 ",\"fail2ban_banned\":%" PRIu64 ","
      "\"p50_ratio_fail2ban_over_ours\":%.1f,\"p99_ratio_fail2ban_over_ours\":%.1f,"
      "\"cpu_us_per_ban\":%.0f,\"fail2ban_cpu_us_per_ban\":%.0f,\"loadavg\":%.2f,"
      "\"enforced_at\":\"first dropped packet\",\"target_p99_us\":1000}\n",
      a.drop.size(), p50, p99, a.drop.empty() ? 0 : *std::max_element(a.drop.begin(), a.drop.end()),
      percentile(a.map, 0.5), percentile(a.map, 0.99), p50, p99, percentile(a.ipset, 0.5),
      percentile(a.ipset, 0.99), a.lost, xdp_dropped, our_bans, b.drop.size(), f50, f99,
      b.drop.empty() ? 0 : *std::max_element(b.drop.begin(), b.drop.end()),
      percentile(b.ipset, 0.5), percentile(b.ipset, 0.99), b.lost, their_bans,
      p50 > 0 ? f50 / p50 : 0, p99 > 0 ? f99 / p99 : 0, cpu_ours, cpu_theirs, load[0]);
  return 0;
}

// scripts/bench latency journal [BANS [ROUNDS]]: one mcf2bd with two jails on port 25,
// mc-exim reading its log file and jrnl-exim reading the systemd journal (entries written
// by systemd-journal-remote into the folder the jail's journalpath names), timed in
// alternating blocks: line or entry written -> packet dropped, the journal's figure next
// to the file path's.
int journal_main(int argc, char **argv) {
  uint32_t bans = argc > 1 ? uint32_t(std::strtoul(argv[1], nullptr, 10)) : 200;
  uint32_t rounds = argc > 2 ? uint32_t(std::strtoul(argv[2], nullptr, 10)) : 10;
  if (bans == 0 || rounds == 0 || bans % rounds || bans > 20000) {
    std::fprintf(stderr, "usage: latency_bench journal [BANS [ROUNDS]]\n");
    return 2;
  }
  if (!require_root() || !require_program("ipset") || !require_program("nsenter") ||
      !require_program("/lib/systemd/systemd-journal-remote"))
    return fail("needs root, ipset, nsenter and systemd-journal-remote");
  auto pair = NetnsPair::create();
  auto pins = BpffsPinDir::create();
  auto journal_dir = TempDir::create("benchjournal");
  if (!pair || !pins || !journal_dir)
    return fail("namespaces, bpffs folder or journal folder");
  // The writer runs from the start: the daemon finds the journal's file when it opens it.
  JournalWriterProcess writer;
  auto journal_log = writer.start(journal_dir->file("bench.journal"));
  if (!journal_log)
    return fail(journal_log.error().message());
  uint64_t total_written = 0;
  Side s;
  s.name = "mcf2bd";
  s.pair = &*pair;
  s.written_ptr = &total_written;
  s.log = std::move(*journal_log);
  s.journal = true;
  if (auto st = write_all(s, exim_line(attacker(60000), 0), 1); !st)
    return fail(st.error().message());
  Fd file_log;

  DaemonOptions o;
  o.netns = pair->b().ns;
  o.interfaces = {pair->b().ifname};
  o.pin_root = pins->path() + "/mcf2b";
  o.jail_file = "[mc-exim]\nenabled = true\nlogpath = {logs}/exim.log\n\n"
                "[jrnl-exim]\nenabled = true\nfilter = mc-exim-filter\nport = 25\n"
                "maxretry = 5\nfindtime = 1d\nbantime = 1d\n"
                "backend = systemd[journalpath=" +
                journal_dir->path() +
                "]\n"
                "journalmatch = MCF2B_BENCH=exim\n";
  o.config_lines = "log_level = info\n";
  auto daemon = DaemonProcess::start(o);
  if (!daemon)
    return fail(daemon.error().message());
  s.log_path = daemon->log_file("exim.log");
  s.set_name = kJail;
  auto maps = PinnedBanMaps::open(o.pin_root, o.interfaces[0]);
  if (!maps)
    return fail(maps.error().message());
  s.maps.emplace(std::move(*maps));
  s.pid = peer_pid(daemon->socket_path());
  s.failures_counted = [&]() -> Result<uint64_t> {
    auto r = daemon->call("stats");
    if (!r)
      return r.error();
    return r->result["daemon"]["lines"].get<uint64_t>();
  };
  Fd pipe = std::move(s.log);
  if (auto st = open_probes(s); !st) // opens the file log
    return fail(st.error().message());
  file_log = std::move(s.log);

  // One side, two logs: each block writes to the file or to the journal.
  Samples file_samples, journal_samples;
  auto block = [&](bool journal, uint32_t first, uint32_t count, bool record) {
    s.journal = journal;
    s.log = std::move(journal ? pipe : file_log);
    s.set_name = journal ? "jrnl-exim" : kJail;
    s.samples = {};
    auto st = run_block(s, first, count, record);
    (journal ? pipe : file_log) = std::move(s.log);
    Samples &into = journal ? journal_samples : file_samples;
    into.map.insert(into.map.end(), s.samples.map.begin(), s.samples.map.end());
    into.ipset.insert(into.ipset.end(), s.samples.ipset.begin(), s.samples.ipset.end());
    into.drop.insert(into.drop.end(), s.samples.drop.begin(), s.samples.drop.end());
    into.lost += s.samples.lost;
    into.cpu_s += s.samples.cpu_s;
    return st;
  };
  std::fprintf(stderr, "latency journal: warm-up ban on each side\n");
  for (bool journal : {false, true})
    if (auto st = block(journal, journal ? 30000 : 0, 1, false); !st)
      return fail(std::string(journal ? "journal" : "file") + ": " + st.error().message() + "\n" +
                  daemon->output());
  uint32_t per = bans / rounds;
  for (uint32_t r = 0; r < rounds; ++r) {
    uint32_t first = 1 + r * per;
    for (bool journal : {false, true})
      if (auto st = block(journal, journal ? 30001 + first : first, per, true); !st)
        return fail(std::string(journal ? "journal" : "file") + ": " + st.error().message() + "\n" +
                    daemon->output());
    std::fprintf(stderr, "  round %u/%u: file drop p50 %.0f us, journal drop p50 %.0f us\n", r + 1,
                 rounds, percentile(file_samples.drop, 0.5), percentile(journal_samples.drop, 0.5));
  }
  std::fprintf(stderr, "latency journal: write of the crossing line or entry -> enforced\n");
  print_side("file", file_samples);
  print_side("journal", journal_samples);
  const auto &f = file_samples, &j = journal_samples;
  double load[3] = {};
  ::getloadavg(load, 3);
  std::printf("{\"bans\":%zu,\"journal_drop_p50_us\":%.0f,\"journal_drop_p99_us\":%.0f,"
              "\"journal_max_us\":%.0f,\"journal_lost\":%" PRIu64 ","
              "\"file_drop_p50_us\":%.0f,\"file_drop_p99_us\":%.0f,\"file_lost\":%" PRIu64
              ",\"loadavg\":%.2f,\"enforced_at\":\"first dropped packet\","
              "\"target_journal_p99_us\":5000}\n",
              j.drop.size(), percentile(j.drop, 0.5), percentile(j.drop, 0.99),
              j.drop.empty() ? 0 : *std::max_element(j.drop.begin(), j.drop.end()), j.lost,
              percentile(f.drop, 0.5), percentile(f.drop, 0.99), f.lost, load[0]);
  pipe.reset(); // ends the writer
  return 0;
}
