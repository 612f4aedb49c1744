// SPDX-License-Identifier: GPL-2.0-only
// bench-cluster: how long a ban made on one cluster node takes to be enforced on the
// other. Two real mcf2bd nodes on one private MariaDB (TwoNodeCluster, as in the
// cluster tests); bans are made on node A by command (timed from the request) and by
// log lines (timed from the write of the line that crosses maxretry), at a steady pace,
// and a poller reads node B's pinned host map read-only until each address is there.
// The baseline is MailCleaner's replication: a cron job every 5 minutes, so a ban waits
// for the next run (computed for uniform arrival, not measured: it is a fixed schedule).
#include <bpf/bpf.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/ip_address.h"
#include "mcf2b_shared.h"
#include "tests/cluster/two_node_cluster.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kCronPeriodMs = 300'000;

// Node B's kernel view, read-only (the daemon holds the enforcer's lock): is an IPv4
// address host-banned in a jail slot?
class KernelBanView {
public:
  static Result<KernelBanView> open(const std::string &pin_root, const std::string &jail) {
    KernelBanView v;
    LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
    Fd slots(bpf_obj_get_opts((pin_root + "/jail_slots_v1").c_str(), &opts));
    v.host4_.reset(bpf_obj_get_opts((pin_root + "/ban_host4_v1").c_str(), &opts));
    if (!slots || !v.host4_)
      return Error::sys("open the pinned maps under " + pin_root);
    for (uint32_t slot = 0; slot < MCF2B_MAX_JAILS; ++slot) {
      mcf2b_jail value{};
      if (bpf_map_lookup_elem(slots.get(), &slot, &value) == 0 &&
          jail == std::string(value.name, strnlen(value.name, sizeof value.name))) {
        v.bit_ = uint64_t{1} << slot;
        return v;
      }
    }
    return Error::msg("no slot holds " + jail + " under " + pin_root);
  }
  bool banned(const IpAddress &a) const {
    mcf2b_host_value value{};
    return bpf_map_lookup_elem(host4_.get(), a.bytes().data(), &value) == 0 &&
           (value.jails & bit_) != 0;
  }

private:
  KernelBanView() = default;
  Fd host4_;
  uint64_t bit_ = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Addresses to ban: 198.19.0.0/16 (benchmark range, away from the links' 198.18.0.0/24).
IpAddress target(int i) {
  return IpAddress::v4((198u << 24) | (19u << 16) | uint32_t(i + 1));
}

struct Pending {
  IpAddress address;
  Clock::time_point made;
  double *latency_ms;
};

// Times each ban from `made` until node B's map holds it.
class PropagationTimer {
public:
  explicit PropagationTimer(const KernelBanView &view) : view_(view) {
    thread_ = std::thread([this] { run(); });
  }
  ~PropagationTimer() { finish(); }
  void expect(Pending p) {
    std::lock_guard lock(mutex_);
    pending_.push_back(p);
  }
  void finish() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }
  size_t outstanding() {
    std::lock_guard lock(mutex_);
    return pending_.size();
  }

private:
  void run() {
    while (!stop_ || outstanding() > 0) {
      {
        std::lock_guard lock(mutex_);
        auto now = Clock::now();
        std::erase_if(pending_, [&](const Pending &p) {
          if (!view_.banned(p.address)) {
            if (now - p.made < std::chrono::seconds(30))
              return false;
            *p.latency_ms = -1; // never arrived: reported, not hidden
            return true;
          }
          *p.latency_ms = std::chrono::duration<double, std::milli>(now - p.made).count();
          return true;
        });
      }
      std::this_thread::sleep_for(std::chrono::microseconds(250));
    }
  }
  const KernelBanView &view_;
  std::mutex mutex_;
  std::vector<Pending> pending_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Series {
  std::vector<double> latencies;
  size_t lost = 0;
  void take(const std::vector<double> &raw) {
    for (double v : raw)
      if (v < 0)
        ++lost;
      else
        latencies.push_back(v);
  }
};

} // namespace

int main(int argc, char **argv) {
  const int bans = argc > 1 ? std::max(1, std::atoi(argv[1])) : 300;
  const int sync_ms = argc > 2 ? std::max(1, std::atoi(argv[2])) : 500;
  const int log_bans = std::max(1, bans / 2);
  // Paced so several bans are in flight per sync interval, like a burst of attacks.
  const auto pace = std::chrono::milliseconds(40);

  std::fprintf(stderr, "bench cluster: MariaDB and two mcf2bd nodes (sync_interval %d ms)\n",
               sync_ms);
  TwoNodeCluster::Options options;
  options.attackers = {};
  options.config_lines = "sync_interval = " + std::to_string(sync_ms) + "\nlog_level = info\n";
  auto cluster = TwoNodeCluster::create(options);
  if (!cluster) {
    std::fprintf(stderr, "bench cluster: %s\n", cluster.error().message().c_str());
    return 1;
  }
  DaemonProcess &a = (*cluster)->node(0);
  auto view = KernelBanView::open((*cluster)->pin_root(1), "mc-exim-1d");
  if (!view) {
    std::fprintf(stderr, "bench cluster: %s\n", view.error().message().c_str());
    return 1;
  }

  // By command on A: from the request to B's map.
  std::vector<double> by_command(static_cast<size_t>(bans), -1);
  {
    PropagationTimer timer(*view);
    for (int i = 0; i < bans; ++i) {
      IpAddress ip = target(i);
      auto made = Clock::now();
      auto r = a.call("ban", {{"jail", "mc-exim-1d"}, {"ip", ip.to_string()}});
      if (!r || !r->ok) {
        std::fprintf(stderr, "ban %s on A failed: %s\n", ip.to_string().c_str(),
                     r ? r->error.message.c_str() : r.error().message().c_str());
        continue;
      }
      timer.expect({ip, made, &by_command[static_cast<size_t>(i)]});
      if ((i + 1) % 50 == 0)
        std::fprintf(stderr, "  %d/%d bans by command\n", i + 1, bans);
      std::this_thread::sleep_until(made + pace);
    }
    timer.finish();
  }

  // By log lines on A: four lines ahead, the fifth (which crosses maxretry) timed.
  std::vector<double> by_lines(static_cast<size_t>(log_bans), -1);
  {
    PropagationTimer timer(*view);
    const std::string log = a.log_file("exim.log");
    for (int i = 0; i < log_bans; ++i) {
      std::string ip = target(bans + i).to_string(), first;
      for (int k = 0; k < 4; ++k)
        first += TwoNodeCluster::exim_line(ip, k);
      (void)DaemonProcess::append(log, first);
      std::this_thread::sleep_for(pace / 2);
      auto made = Clock::now();
      (void)DaemonProcess::append(log, TwoNodeCluster::exim_line(ip, 4));
      timer.expect({target(bans + i), made, &by_lines[static_cast<size_t>(i)]});
      if ((i + 1) % 50 == 0)
        std::fprintf(stderr, "  %d/%d bans by log lines\n", i + 1, log_bans);
      std::this_thread::sleep_until(made + pace / 2);
    }
    timer.finish();
  }

  Series command, lines;
  command.take(by_command);
  lines.take(by_lines);
  // MailCleaner: the cron runs every 5 minutes; a ban made at a uniformly random moment
  // waits U(0, 300 s) for it (before its per-row processes even start).
  const double cron_p50 = kCronPeriodMs * 0.50, cron_p99 = kCronPeriodMs * 0.99;
  const double p50 = percentile(command.latencies, 50), p99 = percentile(command.latencies, 99);
  std::fprintf(stderr,
               "by command:   %zu bans, p50 %.0f ms, p99 %.0f ms, max %.0f ms, lost %zu\n"
               "by log lines: %zu bans, p50 %.0f ms, p99 %.0f ms, max %.0f ms, lost %zu\n"
               "MailCleaner's 5-minute cron (computed): p50 %.0f ms, p99 %.0f ms\n",
               command.latencies.size(), p50, p99, percentile(command.latencies, 100), command.lost,
               lines.latencies.size(), percentile(lines.latencies, 50),
               percentile(lines.latencies, 99), percentile(lines.latencies, 100), lines.lost,
               cron_p50, cron_p99);
  nlohmann::json out = {
      {"bench", "cluster"},
      {"bans", command.latencies.size()},
      {"lost", command.lost},
      {"sync_interval_ms", sync_ms},
      {"p50_ms", p50},
      {"p99_ms", p99},
      {"max_ms", percentile(command.latencies, 100)},
      {"log_bans", lines.latencies.size()},
      {"log_lost", lines.lost},
      {"log_p50_ms", percentile(lines.latencies, 50)},
      {"log_p99_ms", percentile(lines.latencies, 99)},
      {"baseline", "MailCleaner 5-minute replication cron, uniform arrival (computed)"},
      {"baseline_p50_ms", cron_p50},
      {"baseline_p99_ms", cron_p99},
      {"p99_ratio_to_baseline", p99 / cron_p99},
      {"target_p99_ms", 2000},
  };
  std::printf("%s\n", out.dump().c_str());
  return command.lost == 0 && lines.lost == 0 ? 0 : 1;
}
