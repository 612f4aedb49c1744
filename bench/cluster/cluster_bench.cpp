// SPDX-License-Identifier: GPL-2.0-only
// bench-cluster: how long a ban made on one cluster node takes to be enforced on the
// other. Two real mcf2bd nodes on one private MariaDB (TwoNodeCluster, as in the
// cluster tests); bans are made on node A by command (timed from the request) and by
// log lines (timed from the write of the line that crosses maxretry), at a steady pace,
// and a poller asks node B until it enforces each address; at the end node B's ipset
// mirror must hold every one of them.
// The baseline is MailCleaner's replication: a cron job every 5 minutes, so a ban waits
// for the next run (computed for uniform arrival, not measured: it is a fixed schedule).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/ip_address.h"
#include "tests/cluster/two_node_cluster.h"
#include "tests/fixtures/gateway_scenario.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kCronPeriodMs = 300'000;

// Node B's enforced bans of a jail, from its control socket: the daemon applies what a
// sync brought to its maps before it answers the next request, and reading its status
// stays right whatever the maps' layout.
class EnforcedOnB {
public:
  EnforcedOnB(const DaemonProcess &b, std::string jail) : b_(b), jail_(std::move(jail)) {}
  std::set<IpAddress> read() const {
    std::set<IpAddress> out;
    auto r = b_.call("status", {{"jail", jail_}});
    if (r && r->ok)
      for (const auto &j : r->result["jails"])
        for (const auto &a : j["banned"])
          if (auto ip = IpAddress::parse(a.get<std::string>()))
            out.insert(*ip);
    return out;
  }

private:
  const DaemonProcess &b_;
  std::string jail_;
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
  explicit PropagationTimer(const EnforcedOnB &view) : view_(view) {
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
      if (outstanding() > 0) {
        auto enforced = view_.read();
        std::lock_guard lock(mutex_);
        auto now = Clock::now();
        std::erase_if(pending_, [&](const Pending &p) {
          if (enforced.count(p.address) == 0) {
            if (now - p.made < std::chrono::seconds(30))
              return false;
            *p.latency_ms = -1; // never arrived: reported, not hidden
            return true;
          }
          *p.latency_ms = std::chrono::duration<double, std::milli>(now - p.made).count();
          return true;
        });
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  const EnforcedOnB &view_;
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
  EnforcedOnB view((*cluster)->node(1), "mc-exim-1d");

  // By command on A: from the request to B's map.
  std::vector<double> by_command(static_cast<size_t>(bans), -1);
  {
    PropagationTimer timer(view);
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
    PropagationTimer timer(view);
    const std::string log = a.log_file("exim.log");
    for (int i = 0; i < log_bans; ++i) {
      std::string ip = target(bans + i).to_string(), first;
      for (int k = 0; k < 4; ++k)
        first += exim_reject_line(ip, k);
      (void)DaemonProcess::append(log, first);
      std::this_thread::sleep_for(pace / 2);
      auto made = Clock::now();
      (void)DaemonProcess::append(log, exim_reject_line(ip, 4));
      timer.expect({target(bans + i), made, &by_lines[static_cast<size_t>(i)]});
      if ((i + 1) % 50 == 0)
        std::fprintf(stderr, "  %d/%d bans by log lines\n", i + 1, log_bans);
      std::this_thread::sleep_until(made + pace / 2);
    }
    timer.finish();
  }

  // Node B's ipset mirror (written after the maps) must hold them all by now.
  size_t mirror_missing = 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string set = (*cluster)->ipset_list(1, "mc-exim-1d");
  for (int i = 0; i < bans + log_bans; ++i)
    if (set.find(target(i).to_string() + "\n") == std::string::npos)
      ++mirror_missing;

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
               "MailCleaner's 5-minute cron (computed): p50 %.0f ms, p99 %.0f ms\n"
               "missing from node B's ipset at the end: %zu\n",
               command.latencies.size(), p50, p99, percentile(command.latencies, 100), command.lost,
               lines.latencies.size(), percentile(lines.latencies, 50),
               percentile(lines.latencies, 99), percentile(lines.latencies, 100), lines.lost,
               cron_p50, cron_p99, mirror_missing);
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
      {"ipset_missing_on_b", mirror_missing},
      {"log_p50_ms", percentile(lines.latencies, 50)},
      {"log_p99_ms", percentile(lines.latencies, 99)},
      {"baseline", "MailCleaner 5-minute replication cron, uniform arrival (computed)"},
      {"baseline_p50_ms", cron_p50},
      {"baseline_p99_ms", cron_p99},
      {"p99_ratio_to_baseline", p99 / cron_p99},
      {"target_p99_ms", 2000},
  };
  std::printf("%s\n", out.dump().c_str());
  return command.lost == 0 && lines.lost == 0 && mirror_missing == 0 ? 0 : 1;
}
