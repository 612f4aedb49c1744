// SPDX-License-Identifier: GPL-2.0-only
// Bulk load and restart safety of mcf2bd with a million bans.
//
// 1. A fresh SQLite store gets N active bans in mc-exim-1d (through the store API, as
//    the daemon itself writes them): the first 65,536 in 198.19.0.0/16, the rest in
//    2001:db8:1::/48 (the documentation ranges hold no million IPv4 addresses).
// 2. Baseline, same run: a plain `ipset restore` of the same addresses into two hash:net
//    sets sized as the mirror's, in the daemon's namespace.
// 3. mcf2bd starts on that store with empty pinned maps and no ipsets: load_s is the
//    time from its spawn until it answers on its control socket, with every ban in the
//    kernel maps; its start-up log line splits it (store read, program, maps). The ipset
//    mirror then fills on its own thread: ipset_mirror_full_s is the time from the spawn
//    until both sets hold every ban.
// 4. Restart under traffic: a sender in the attacker namespace sprays UDP to port 25
//    from banned addresses (and, as a control, from a clean one) while mcf2bd is killed
//    with SIGKILL and started again; a receiver in the daemon's namespace counts what
//    got through. Banned datagrams received = leaked packets (target 0).
#include <signal.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "bench/daemon_probes/pinned_ban_maps.h"
#include "bench/daemon_probes/udp_traffic.h"
#include "tests/fixtures/bpffs_pin_dir.h"
#include "tests/fixtures/daemon_process.h"
#include "tests/fixtures/netns_pair.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using namespace mcf2b::bench;
using namespace mcf2b::testing;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char *kJail = "mc-exim-1d";
constexpr uint16_t kPort = 25;
constexpr uint32_t kV4Count = 65536; // 198.19.0.0/16
constexpr uint32_t kCapacity = 1u << 20;

IpAddress banned(uint32_t i) {
  if (i < kV4Count)
    return IpAddress::v4((198u << 24 | 19u << 16) + i);
  uint32_t k = i - kV4Count;
  uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
  for (int j = 0; j < 4; ++j)
    b[15 - j] = static_cast<uint8_t>(k >> (8 * j));
  return IpAddress::v6_bytes(b);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int fail(const std::string &what) {
  std::fprintf(stderr, "load: %s\n", what.c_str());
  return 1;
}

Status fill_store(const std::string &url, uint32_t n) {
  auto store = open_store(url, StoreOptions{"node-a", ""});
  if (!store)
    return store.error();
  std::vector<Mutation> batch;
  for (const auto &j : mailcleaner_default_jails(false))
    batch.emplace_back(PutJail{j});
  if (auto st = (*store)->apply(batch); !st)
    return st;
  const Seconds now = std::time(nullptr);
  batch.clear();
  for (uint32_t i = 0; i < n; ++i) {
    BanRecord r;
    r.ip = IpPrefix::host(banned(i));
    r.jail = kJail;
    r.count = 1;
    r.active = true;
    r.last_hit = now;
    r.host = "node-a";
    r.ban_start = now;
    r.ban_end = now + 86400;
    batch.emplace_back(PutBan{r});
    if (batch.size() == 20000 || i + 1 == n) {
      if (auto st = (*store)->apply(batch); !st)
        return st;
      batch.clear();
    }
  }
  return {};
}

// `ipset restore` of the same addresses into sets made like the mirror's.
Result<double> ipset_restore_baseline(const std::string &ns, uint32_t n) {
  std::string script;
  script.reserve(size_t(n) * 40);
  for (const char *family : {"inet", "inet6"})
    script += std::string("create baseline-") + family + " hash:net family " + family +
              " hashsize " + std::to_string(kCapacity / 4) + " maxelem " +
              std::to_string(kCapacity) + "\n";
  for (uint32_t i = 0; i < n; ++i) {
    IpAddress a = banned(i);
    script += (a.is_v4() ? "add baseline-inet " : "add baseline-inet6 ") + a.to_string() + "\n";
  }
  std::vector<std::string> in_ns = {"nsenter", "--net=/run/netns/" + ns, "--", "ipset"};
  auto argv = [&](std::vector<std::string> rest) {
    auto a = in_ns;
    a.insert(a.end(), rest.begin(), rest.end());
    return a;
  };
  auto t0 = Clock::now();
  auto r = run_program_checked(argv({"restore"}), script);
  double s = seconds_since(t0);
  if (!r)
    return r.error();
  (void)run_program(argv({"destroy", "baseline-inet"}));
  (void)run_program(argv({"destroy", "baseline-inet6"}));
  return s;
}

// The number after `key` in the daemon's start-up line ("key 1.234 s"), or -1.
double logged_seconds(const std::string &output, const std::string &key) {
  size_t line = output.rfind("start-up:");
  if (line == std::string::npos)
    return -1;
  size_t at = output.find(key + " ", line);
  if (at == std::string::npos)
    return -1;
  return std::strtod(output.c_str() + at + key.size() + 1, nullptr);
}

uint64_t ipset_entries(const NetnsHost &host, const std::string &set) {
  auto r = NetnsPair::exec(host, {"ipset", "list", "-t", set});
  if (!r)
    return 0;
  size_t at = r->out.find("Number of entries:");
  return at == std::string::npos ? 0 : std::strtoull(r->out.c_str() + at + 18, nullptr, 10);
}

struct Spray {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> banned_sent{0}, clean_sent{0}, banned_received{0}, clean_received{0};
};

} // namespace

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? uint32_t(std::strtoul(argv[1], nullptr, 10)) : 1'000'000;
  if (n == 0 || n > kCapacity) {
    std::fprintf(stderr, "usage: load_bench [BANS] (1 to %u)\n", kCapacity);
    return 2;
  }
  if (!require_root() || !require_program("ipset") || !require_program("nsenter"))
    return fail("needs root, ipset and nsenter");

  auto pair = NetnsPair::create();
  auto pins = BpffsPinDir::create();
  auto state = TempDir::create("load-state");
  if (!pair || !pins || !state)
    return fail("namespaces, bpffs folder or temp folder");
  const std::string url = "sqlite:" + state->file("state.sqlite3");

  std::fprintf(stderr, "load: writing %u active bans into a fresh store\n", n);
  auto t0 = Clock::now();
  if (auto st = fill_store(url, n); !st)
    return fail("fill the store: " + st.error().message());
  std::fprintf(stderr, "  %.1f s\n", seconds_since(t0));

  std::fprintf(stderr, "load: baseline, plain ipset restore of the same %u addresses\n", n);
  auto baseline = ipset_restore_baseline(pair->b().ns, n);
  if (!baseline)
    return fail(baseline.error().message());
  std::fprintf(stderr, "  %.2f s\n", *baseline);

  std::fprintf(stderr, "load: mcf2bd starting on the store (empty maps, no ipsets)\n");
  DaemonOptions o;
  o.netns = pair->b().ns;
  o.interfaces = {pair->b().ifname};
  o.pin_root = pins->path() + "/mcf2b";
  o.state_url = url;
  o.jail_file = "[mc-exim]\nenabled = true\nlogpath = {logs}/exim.log\n";
  o.config_lines = "log_level = info\n";
  t0 = Clock::now();
  auto daemon = DaemonProcess::start(o);
  double load_s = seconds_since(t0);
  if (!daemon)
    return fail(daemon.error().message());
  std::string out = daemon->output();
  double store_s = logged_seconds(out, "store read and controller restore");
  double program_s = logged_seconds(out, "XDP program and ipsets");
  double read_s = logged_seconds(out, "active bans listed");
  double maps_s = logged_seconds(out, "kernel maps");
  double total_s = logged_seconds(out, "total");
  std::fprintf(stderr,
               "  answering after %.2f s; its log: store read + controller restore %.2f s, XDP "
               "program and ipsets %.2f s, active bans listed %.2f s, kernel maps %.2f s, "
               "start() total %.2f s\n",
               load_s, store_s, program_s, read_s, maps_s, total_s);

  // Check the load: every ban in the map (a sample), both sets full.
  auto maps = PinnedBanMaps::open(o.pin_root, o.interfaces[0]);
  if (!maps)
    return fail(maps.error().message());
  auto slot = maps->slot_of(kJail);
  if (!slot)
    return fail(slot.error().message());
  std::mt19937 rng(7);
  uint32_t missing = 0;
  for (int k = 0; k < 10000; ++k)
    if (!maps->drops(banned(rng() % n), kPort))
      ++missing;
  std::fprintf(stderr, "  map sample: %u of 10000 missing\n", missing);
  // The ipset mirror fills on its own thread once the maps enforce: the time from the
  // spawn until both sets hold every ban (polled; -1 if not within a minute).
  uint64_t set4 = 0, set6 = 0;
  double mirror_s = -1;
  while (seconds_since(t0) < 60) {
    set4 = ipset_entries(pair->b(), kJail);
    set6 = ipset_entries(pair->b(), std::string(kJail) + "-v6");
    if (set4 + set6 >= n) {
      mirror_s = seconds_since(t0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fprintf(stderr, "  ipset mirror full after %.2f s: %" PRIu64 " + %" PRIu64 " entries\n",
               mirror_s, set4, set6);

  // Restart under traffic.
  std::fprintf(stderr, "load: kill -9 and restart under traffic from banned sources\n");
  for (auto [range, via] : {std::pair{"198.19.0.0/16", pair->a().addr4},
                            std::pair{"2001:db8:1::/48", pair->a().addr6}}) {
    auto r = NetnsPair::exec(pair->b(), {"ip", "route", "replace", range, "via", via, "dev",
                                         pair->b().ifname});
    if (!r || r->exit_code != 0)
      return fail(std::string("route ") + range + " in " + pair->b().ns);
  }
  auto sender = SpoofedUdpSender::open(pair->a().ns);
  auto receiver = UdpReceiver::open(pair->b().ns, kPort);
  if (!sender || !receiver)
    return fail("sender or receiver");
  Spray spray;
  const IpAddress dst4 = IpAddress::parse(pair->b().addr4).value();
  const IpAddress dst6 = IpAddress::parse(pair->b().addr6).value();
  const IpAddress clean = IpAddress::parse(pair->a().addr4).value();
  std::thread receiving([&] {
    while (!spray.stop.load()) {
      auto d = receiver->receive(20);
      if (!d)
        continue;
      if (d->tag == 0)
        ++spray.clean_received;
      else
        ++spray.banned_received;
    }
    while (auto d = receiver->receive(100))
      ++(d->tag == 0 ? spray.clean_received : spray.banned_received);
  });
  std::thread sending([&] {
    std::mt19937 r(11);
    timespec next{};
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!spray.stop.load()) {
      for (int k = 0; k < 10; ++k) {
        IpAddress src = banned(r() % n);
        if (sender->send(src, src.is_v4() ? dst4 : dst6, kPort, 1 + spray.banned_sent.load()))
          ++spray.banned_sent;
      }
      if (sender->send(clean, dst4, kPort, 0))
        ++spray.clean_sent;
      next.tv_nsec += 1'000'000;
      if (next.tv_nsec >= 1'000'000'000) {
        next.tv_nsec -= 1'000'000'000;
        ++next.tv_sec;
      }
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
    }
  });
  uint64_t dropped0 = maps->dropped(*slot);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  daemon->kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(500)); // no daemon at all
  t0 = Clock::now();
  auto restarted = daemon->restart();
  double restart_s = seconds_since(t0);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  spray.stop = true;
  sending.join();
  receiving.join();
  if (!restarted)
    return fail("restart: " + restarted.error().message());
  uint64_t dropped = maps->dropped(*slot) - dropped0;
  out = daemon->output();
  std::fprintf(stderr,
               "  restarted in %.2f s (reconcile: kernel maps %.2f s); "
               "banned sent %" PRIu64 ", received %" PRIu64 "; clean sent %" PRIu64
               ", received %" PRIu64 "; XDP dropped %" PRIu64 "\n",
               restart_s, logged_seconds(out, "kernel maps"),
               spray.banned_sent.load(), spray.banned_received.load(), spray.clean_sent.load(),
               spray.clean_received.load(), dropped);

  std::printf(
      "{\"bans\":%u,\"load_s\":%.3f,\"ipset_restore_s\":%.3f,\"load_ratio_ours_over_ipset\":%.2f,"
      "\"store_read_s\":%.3f,\"program_and_sets_s\":%.3f,\"active_listed_s\":%.3f,"
      "\"map_load_s\":%.3f,\"ipset_mirror_full_s\":%.3f,\"startup_total_s\":%.3f,"
      "\"map_sample_missing\":%u,\"ipset_entries\":%" PRIu64 ","
      "\"restart_s\":%.3f,\"restart_leaked_packets\":%" PRIu64 ",\"restart_banned_sent\":%" PRIu64
      ",\"restart_clean_sent\":%" PRIu64 ",\"restart_clean_received\":%" PRIu64
      ",\"restart_xdp_dropped\":%" PRIu64 ",\"target_load_s\":2,\"target_leaked\":0}\n",
      n, load_s, *baseline, load_s / *baseline, store_s, program_s, read_s, maps_s, mirror_s,
      total_s, missing, set4 + set6, restart_s, spray.banned_received.load(),
      spray.banned_sent.load(), spray.clean_sent.load(), spray.clean_received.load(), dropped);
  return 0;
}
