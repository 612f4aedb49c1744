// SPDX-License-Identifier: GPL-2.0-only
// Streams N distinct failing addresses through a running mcf2bd: exim reject-log lines
// appended to the file its mc-exim jail follows, each address failing twice (below
// every tier's maxretry, so nothing bans and every address stays tracked). Then reads
// `tracked` from the daemon (stats: controller.tracked) and its memory from outside:
// the growth of its resident set (VmRSS) over the stream, per tracked address; and the
// controller's own count of its failure windows' bytes (stats: controller.window_bytes).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "base/fd.h"
#include "bench/daemon_probes/process_usage.h"
#include "tests/fixtures/bpffs_pin_dir.h"
#include "tests/fixtures/daemon_process.h"
#include "tests/fixtures/netns_pair.h"
#include "tests/fixtures/requirements.h"

using namespace mcf2b;
using namespace mcf2b::bench;
using namespace mcf2b::testing;
using Clock = std::chrono::steady_clock;

namespace {

// Distinct addresses in 2001:db8::/32, as the library stage uses.
std::string address(uint64_t i) {
  char text[64];
  std::snprintf(text, sizeof text, "2001:db8::%x:%x:%x", unsigned(i >> 32 & 0xffff),
                unsigned(i >> 16 & 0xffff), unsigned(i & 0xffff));
  return text;
}

int fail(const std::string &what) {
  std::fprintf(stderr, "scale (daemon): %s\n", what.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const int rounds = 2;
  if (n == 0 || n > (uint64_t(1) << 48)) {
    std::fprintf(stderr, "usage: scale_daemon_bench [ADDRESSES]\n");
    return 2;
  }
  if (!require_root())
    return fail("needs root");
  auto pair = NetnsPair::create();
  auto pins = BpffsPinDir::create();
  if (!pair || !pins)
    return fail("namespace pair or bpffs folder");
  DaemonOptions o;
  o.netns = pair->b().ns;
  o.interfaces = {pair->b().ifname};
  o.pin_root = pins->path() + "/mcf2b";
  o.jail_file = "[mc-exim]\nenabled = true\nlogpath = {logs}/exim.log\n";
  // Room for every address: the bound (and its evictions) is the library stage's subject.
  o.config_lines = "log_level = info\nmax_tracked = " + std::to_string(n + n / 10) + "\n";
  auto daemon = DaemonProcess::start(o);
  if (!daemon)
    return fail(daemon.error().message());
  int pid = peer_pid(daemon->socket_path());
  if (pid <= 0)
    return fail("cannot find the daemon's process id");
  Fd log(::open(daemon->log_file("exim.log").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (!log)
    return fail("open the daemon's exim.log");

  auto lines_taken = [&]() -> uint64_t {
    auto r = daemon->call("stats");
    return r && r->ok ? r->result["daemon"]["lines"].get<uint64_t>() : 0;
  };
  uint64_t rss0 = rss_bytes(pid);
  double cpu0 = cpu_seconds(pid);
  std::fprintf(stderr,
               "scale (daemon): %" PRIu64 " distinct addresses x %d failures as exim lines "
               "into mcf2bd's log; RSS before %.1f MiB\n",
               n, rounds, double(rss0) / (1 << 20));
  auto t0 = Clock::now();
  uint64_t written = 0, bytes = 0;
  char stamp[32];
  for (int r = 0; r < rounds; ++r) {
    std::string chunk;
    for (uint64_t i = 0; i < n; ++i) {
      if (chunk.empty()) {
        std::time_t t = std::time(nullptr);
        std::tm tm{};
        localtime_r(&t, &tm);
        std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
      }
      chunk += stamp;
      chunk += " H=(scan" + std::to_string(r) + ") [" + address(i) +
               "] F=<spam@example.org> rejected RCPT <user@example.com>: relay not permitted\n";
      ++written;
      if (chunk.size() >= (1 << 20) || i + 1 == n) {
        if (::write(log.get(), chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size()))
          return fail("write the log");
        bytes += chunk.size();
        chunk.clear();
      }
    }
    // Rounds follow each other once the daemon caught up, so the log never holds more
    // than a round unread.
    while (lines_taken() < written)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::fprintf(stderr, "  round %d of %d taken in\n", r + 1, rounds);
  }
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  double cpu = cpu_seconds(pid) - cpu0;
  uint64_t rss1 = rss_bytes(pid);
  auto stats = daemon->call("stats");
  if (!stats || !stats->ok)
    return fail("stats request failed");
  const auto &c = stats->result["controller"];
  uint64_t tracked = c["tracked"].get<uint64_t>();
  uint64_t evictions = c.value("evictions", uint64_t(0));
  uint64_t window_bytes = c.value("window_bytes", uint64_t(0));
  uint64_t bans = 0;
  for (const auto &j : stats->result["jails"])
    bans += j.value("bans", uint64_t(0));
  double per_rss = tracked ? double(rss1 - rss0) / double(tracked) : 0;
  double own = tracked ? double(window_bytes) / double(tracked) : 0;
  // The two views differ: RSS counts pages touched (a vector's untouched capacity is
  // not resident), the controller counts what it allocated. The larger one is reported.
  double per = std::max(per_rss, own);
  std::fprintf(stderr,
               "  %" PRIu64 " tracked, %" PRIu64 " evicted, %" PRIu64 " bans; RSS after %.1f MiB: "
               "%.1f bytes per tracked address (the controller's own count: %.1f); %.2f M "
               "lines/s through the daemon, %.1f s CPU\n",
               tracked, evictions, bans, double(rss1) / (1 << 20), per_rss, own,
               double(written) / seconds / 1e6, cpu);
  std::printf("{\"daemon_addresses\":%" PRIu64 ",\"daemon_lines\":%" PRIu64
              ",\"daemon_log_bytes\":%" PRIu64 ",\"tracked\":%" PRIu64
              ",\"bytes_per_tracked\":%.1f,\"rss_bytes_per_tracked\":%.1f,\"rss_before_bytes\":%" PRIu64
              ",\"rss_after_bytes\":%" PRIu64 ",\"window_bytes_per_tracked\":%.1f,"
              "\"daemon_evictions\":%" PRIu64 ",\"daemon_bans\":%" PRIu64
              ",\"daemon_lines_per_s\":%.0f,\"daemon_cpu_s\":%.2f}\n",
              n, written, bytes, tracked, per, per_rss, rss0, rss1, own, evictions, bans,
              double(written) / seconds, cpu);
  return 0;
}
