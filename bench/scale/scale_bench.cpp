// SPDX-License-Identifier: GPL-2.0-only
// Streams N distinct failing addresses through the controller (MailCleaner's default
// jails, the mc-exim family: four tiers, the largest windows) and measures the heap
// bytes held per tracked address, counted by the allocator (mallinfo2: in-use arena
// bytes plus mmapped blocks), not estimated from sizeof. The baseline, in the same
// run, is the obvious design: one hash map per jail from address to its failure times
// (what fail2ban keeps per jail).
#include <malloc.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "userspace/controller/jail_controller.h"

using namespace mcf2b;

namespace {

constexpr Seconds kT0 = 1'700'000'000;

size_t heap_bytes() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Distinct addresses in 2001:db8::/32 (IPv4's benchmark range 198.18.0.0/15 holds only
// 131072); an entry's size does not depend on the address family.
IpAddress address(uint64_t i) {
  uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};
  for (int k = 0; k < 8; ++k)
    b[15 - k] = static_cast<uint8_t>(i >> (8 * k));
  return IpAddress::v6_bytes(b);
}

struct Run {
  size_t tracked = 0;
  uint64_t evictions = 0;
  size_t heap = 0;
  size_t self_accounted = 0;
  double seconds = 0;
  uint64_t failures = 0;
  uint64_t bans = 0;
};

// `rounds` failures per address, one round over all addresses after the other, one
// second apart per round, all within mc-exim-1d's hour; 2 rounds stay below every
// threshold, so nothing is banned and every address stays tracked.
Run stream_controller(uint64_t n, size_t max_tracked, int rounds) {
  ManualClock clock(kT0);
  size_t before = 0;
  Run run;
  {
    JailController controller(clock, JailControllerOptions{max_tracked, "bench"});
    controller.configure(mailcleaner_default_jails(true));
    JailFamilyId exim = controller.family("mc-exim").value();
    before = heap_bytes();
    auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r) {
      clock.set(kT0 + r);
      for (uint64_t i = 0; i < n; ++i) {
        Decisions d = controller.failure(exim, address(i), clock.now());
        run.bans += d.bans.size();
        ++run.failures;
      }
      std::fprintf(stderr, "  round %d of %d: %zu tracked\n", r + 1, rounds,
                   controller.stats().tracked);
    }
    run.seconds = seconds_since(start);
    run.heap = heap_bytes() - before;
    run.tracked = controller.stats().tracked;
    run.evictions = controller.stats().evictions;
    run.self_accounted = controller.windows().memory_bytes();
  }
  return run;
}

// Windows at their fullest: every address holding 20 times (mc-exim-1y's maxretry).
Run stream_full_windows(uint64_t n) {
  Run run;
  size_t before = heap_bytes();
  {
    FailureWindows windows(n);
    windows.configure_family(0, 20, 5356800);
    auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < 20; ++r)
      for (uint64_t i = 0; i < n; ++i) {
        windows.record(0, address(i), kT0 + r, 0b1111, kT0 + r);
        ++run.failures;
      }
    run.seconds = seconds_since(start);
    run.heap = heap_bytes() - before;
    run.tracked = windows.tracked();
    run.self_accounted = windows.memory_bytes();
  }
  return run;
}

// The baseline: a map per tier jail, address -> its failure times within the jail's
// window (trimmed to maxretry), the threshold checked per jail.
Run stream_baseline(uint64_t n, int rounds) {
  struct Jail {
    unsigned maxretry;
    Seconds findtime;
    std::unordered_map<IpAddress, std::vector<Seconds>> failures;
  };
  Run run;
  size_t before = heap_bytes();
  {
    std::vector<Jail> jails;
    for (const auto &c : mailcleaner_default_jails(true))
      if (jail_family(c.name) == "mc-exim" && c.name != "mc-exim-bl")
        jails.push_back(Jail{unsigned(c.maxretry), c.findtime, {}});
    auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r) {
      Seconds now = kT0 + r;
      for (uint64_t i = 0; i < n; ++i) {
        IpAddress a = address(i);
        for (auto &j : jails) {
          auto &times = j.failures[a];
          times.push_back(now);
          std::erase_if(times, [&](Seconds t) { return t <= now - j.findtime; });
          if (times.size() > j.maxretry)
            times.erase(times.begin());
          if (times.size() >= j.maxretry) {
            ++run.bans;
            j.failures.erase(a);
          }
        }
        ++run.failures;
      }
      std::fprintf(stderr, "  baseline round %d of %d\n", r + 1, rounds);
    }
    run.seconds = seconds_since(start);
    run.heap = heap_bytes() - before;
    run.tracked = jails.front().failures.size();
  }
  return run;
}

double per(size_t bytes, size_t count) {
  return count ? double(bytes) / double(count) : 0;
}

} // namespace

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  if (n == 0) {
    std::fprintf(stderr, "usage: bench_scale [ADDRESSES]\n");
    return 2;
  }
  const int rounds = 2;
  std::fprintf(stderr,
               "scale: %" PRIu64 " distinct addresses x %d failures through the controller\n", n,
               rounds);
  Run ours = stream_controller(n, std::max<size_t>(n, 1), rounds);
  std::fprintf(stderr,
               "  %zu tracked, %.1f heap bytes each (%.1f by the structure's own count), "
               "%.2f M failures/s\n",
               ours.tracked, per(ours.heap, ours.tracked), per(ours.self_accounted, ours.tracked),
               double(ours.failures) / ours.seconds / 1e6);

  size_t bound = std::max<uint64_t>(n / 10, 1);
  std::fprintf(stderr, "bounded: max_tracked %zu, the same stream\n", bound);
  Run bounded = stream_controller(n, bound, rounds);
  std::fprintf(stderr, "  %zu tracked, %" PRIu64 " evicted, %.1f heap bytes each\n",
               bounded.tracked, bounded.evictions, per(bounded.heap, bounded.tracked));

  uint64_t full_n = std::max<uint64_t>(n / 4, 1);
  std::fprintf(stderr, "full windows: %" PRIu64 " addresses x 20 failures\n", full_n);
  Run full = stream_full_windows(full_n);
  std::fprintf(stderr, "  %.1f heap bytes each\n", per(full.heap, full.tracked));

  std::fprintf(stderr, "baseline: one map per tier jail, address -> failure times\n");
  Run base = stream_baseline(n, rounds);
  std::fprintf(stderr, "  %.1f heap bytes per address (4 jails), %.2f M failures/s\n",
               per(base.heap, base.tracked), double(base.failures) / base.seconds / 1e6);

  std::printf(
      "{\"addresses\":%" PRIu64 ",\"failures_per_address\":%d,\"tracked\":%zu,"
      "\"bytes_per_tracked\":%.1f,\"self_accounted_bytes_per_tracked\":%.1f,"
      "\"failures_per_s\":%.0f,\"bans\":%" PRIu64 ","
      "\"full_window_bytes_per_tracked\":%.1f,"
      "\"bounded_max_tracked\":%zu,\"bounded_tracked\":%zu,\"bounded_evictions\":%" PRIu64 ","
      "\"bounded_bytes_per_tracked\":%.1f,"
      "\"baseline_bytes_per_tracked\":%.1f,\"baseline_failures_per_s\":%.0f,"
      "\"bytes_ratio_baseline_over_ours\":%.2f,\"speed_ratio_ours_over_baseline\":%.2f,"
      "\"target_bytes_per_tracked\":200}\n",
      n, rounds, ours.tracked, per(ours.heap, ours.tracked), per(ours.self_accounted, ours.tracked),
      double(ours.failures) / ours.seconds, ours.bans, per(full.heap, full.tracked), bound,
      bounded.tracked, bounded.evictions, per(bounded.heap, bounded.tracked),
      per(base.heap, base.tracked), double(base.failures) / base.seconds,
      per(base.heap, base.tracked) / per(ours.heap, ours.tracked),
      (double(ours.failures) / ours.seconds) / (double(base.failures) / base.seconds));
  return 0;
}
