// SPDX-License-Identifier: GPL-2.0-only
// The state store's costs, each next to its baseline in the same run:
//  - a durable ban write (one transaction with its change-log entry), SQLite and MariaDB;
//  - one replication poll (changes_since, a primary-key range) against MailCleaner's way
//    of learning the cluster's bans (reading every active row), at ROWS rows;
//  - store-level propagation: node A writes bans, node B polls every 50 ms;
//  - the journal: a write while the master is down, and the replay when it is back.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "tests/fixtures/mariadb_server.h"
#include "tests/fixtures/temp_dir.h"
#include "userspace/store/journaling_store.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using Clock = std::chrono::steady_clock;

namespace {

double since_us(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

[[noreturn]] void die(const std::string &what) {
  std::cerr << "bench-store: " << what << "\n";
  std::exit(1);
}

template <class T> T check(Result<T> r, const char *what) {
  if (!r)
    die(std::string(what) + ": " + r.error().message());
  return std::move(r).value();
}
void check(Status s, const char *what) {
  if (!s)
    die(std::string(what) + ": " + s.error().message());
}

// Distinct addresses in 198.18.0.0/15 (the benchmark range).
IpPrefix address(uint32_t n) {
  return IpPrefix::host(IpAddress::v4((198u << 24) | (18u << 16) | (n & 0x1ffff)));
}

BanRecord ban(uint32_t n, bool active = true) {
  BanRecord b;
  b.ip = address(n);
  b.jail = "mc-exim-1d";
  b.count = 1;
  b.active = active;
  b.last_hit = 1741606078;
  b.ban_start = 1741606078;
  b.ban_end = 1741692478;
  return b;
}

std::vector<double> timed_writes(StateStore &store, uint32_t first, int n) {
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    check(store.put_ban(ban(first + static_cast<uint32_t>(i))), "put_ban");
    us.push_back(since_us(t0));
  }
  return us;
}

// Fills fail2ban_ips to `rows` rows (a quarter active), in batches of 1000.
void fill(StateStore &store, uint32_t first, int rows) {
  for (int done = 0; done < rows;) {
    std::vector<Mutation> batch;
    for (int i = 0; i < 1000 && done < rows; ++i, ++done)
      batch.emplace_back(PutBan{ban(first + static_cast<uint32_t>(done), done % 4 == 0)});
    check(store.apply(batch), "fill");
  }
}

struct PollCost {
  double poll_us;      // changes_since fetching the 5 changes made since the last poll
  double full_read_us; // every active row, MailCleaner's reconcile input
};

PollCost poll_cost(StateStore &writer, StateStore &reader, uint32_t first) {
  std::vector<double> poll, full;
  int64_t seen = check(reader.max_seq(), "max_seq");
  for (int rep = 0; rep < 30; ++rep) {
    for (uint32_t k = 0; k < 5; ++k)
      check(writer.put_ban(ban(first + static_cast<uint32_t>(rep) * 5 + k)), "put_ban");
    auto t0 = Clock::now();
    auto changes = check(reader.changes_since(seen, 1000), "changes_since");
    poll.push_back(since_us(t0));
    if (changes.size() != 5)
      die("poll returned " + std::to_string(changes.size()) + " changes, expected 5");
    seen = changes.back().seq;
    if (rep % 3 == 0) { // the baseline is slow; fewer samples, same conditions
      t0 = Clock::now();
      auto all = check(reader.list_bans({.active_only = true, .jail = {}, .host = {}}), "list");
      full.push_back(since_us(t0));
      if (all.empty())
        die("no active bans");
    }
  }
  return {percentile(poll, 0.5), percentile(full, 0.5)};
}

struct Propagation {
  double p50_ms, p99_ms;
  int bans;
};

// Node A writes `n` bans at random intervals; node B polls every `interval`. Latency is
// from the start of A's write to B seeing it.
Propagation propagation(StateStore &a, StateStore &b, uint32_t first, int n,
                        std::chrono::milliseconds interval) {
  std::mutex m;
  std::map<std::string, Clock::time_point> started;
  std::vector<double> latencies_ms;
  std::atomic<bool> writing{true};
  int64_t seen = check(b.max_seq(), "max_seq");
  std::thread reader([&] {
    while (writing || static_cast<int>(latencies_ms.size()) < n) {
      auto changes = check(b.changes_since(seen, 1000), "changes_since");
      auto now = Clock::now();
      for (const Change &c : changes) {
        seen = c.seq;
        std::lock_guard lock(m);
        auto it = started.find(c.row.ip.to_string());
        if (it != started.end())
          latencies_ms.push_back(
              std::chrono::duration<double, std::milli>(now - it->second).count());
      }
      std::this_thread::sleep_for(interval);
    }
  });
  std::mt19937 rng(7);
  for (int i = 0; i < n; ++i) {
    BanRecord r = ban(first + static_cast<uint32_t>(i));
    {
      std::lock_guard lock(m);
      started[r.ip.to_string()] = Clock::now();
    }
    check(a.put_ban(r), "put_ban");
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 20));
  }
  writing = false;
  reader.join();
  return {percentile(latencies_ms, 0.5), percentile(latencies_ms, 0.99), n};
}

} // namespace

int main(int argc, char **argv) {
  int rows = argc > 1 ? std::atoi(argv[1]) : 50000;
  if (rows < 1000)
    die("ROWS must be at least 1000");
  auto dir = check(testing::TempDir::create("bench-store"), "temp dir");

  std::cerr << "SQLite: durable writes\n";
  auto sa = check(open_store("sqlite:" + dir.file("state.db"), {.node = "gw1", .journal_path = {}}),
                  "open sqlite");
  auto sb = check(open_store("sqlite:" + dir.file("state.db"), {.node = "gw2", .journal_path = {}}),
                  "open sqlite");
  auto sqlite_writes = timed_writes(*sa, 100000, 500);
  std::cerr << "SQLite: " << rows << " rows, poll vs full read\n";
  fill(*sa, 0, rows);
  auto sqlite_poll = poll_cost(*sa, *sb, 101000);

  std::cerr << "MariaDB: starting a private server\n";
  auto server = check(testing::MariadbServer::create(), "MariaDB server");
  auto ma = check(open_store(server.url("mc_config"), {.node = "gw1", .journal_path = {}}),
                  "open mariadb");
  auto mb = check(open_store(server.url("mc_config"), {.node = "gw2", .journal_path = {}}),
                  "open mariadb");
  std::cerr << "MariaDB: durable writes\n";
  auto mariadb_writes = timed_writes(*ma, 100000, 500);
  std::cerr << "MariaDB: " << rows << " rows, poll vs full read\n";
  fill(*ma, 0, rows);
  auto mariadb_poll = poll_cost(*ma, *mb, 101000);
  std::cerr << "MariaDB: propagation between two nodes, 50 ms poll\n";
  auto prop = propagation(*ma, *mb, 110000, 300, std::chrono::milliseconds(50));

  std::cerr << "MariaDB: journal during an outage, then replay\n";
  auto journaling = check(
      JournalingStore::open({.master_url = server.url("mc_config"),
                             .journal_path = dir.file("journal.db"),
                             .node = "gw3",
                             .retry_interval = std::chrono::milliseconds(60000)}),
      "open journaling");
  server.kill();
  auto journal_writes = timed_writes(*journaling, 120000, 1000);
  if (journaling->state().journaled != 1000)
    die("expected 1000 journaled writes, found " +
        std::to_string(journaling->state().journaled));
  check(server.start(), "restart MariaDB");
  auto t0 = Clock::now();
  auto left = check(journaling->flush(), "flush");
  double replay_s = since_us(t0) / 1e6;
  if (left != 0)
    die("journal not empty after the replay");

  char json[2048];
  std::snprintf(
      json, sizeof json,
      "{\"rows\": %d, "
      "\"sqlite_write_p50_us\": %.0f, \"sqlite_write_p99_us\": %.0f, "
      "\"mariadb_write_p50_us\": %.0f, \"mariadb_write_p99_us\": %.0f, "
      "\"sqlite_poll_us\": %.0f, \"sqlite_full_read_us\": %.0f, \"sqlite_poll_speedup\": %.1f, "
      "\"mariadb_poll_us\": %.0f, \"mariadb_full_read_us\": %.0f, "
      "\"mariadb_poll_speedup\": %.1f, "
      "\"propagation_bans\": %d, \"propagation_poll_ms\": 50, \"propagation_p50_ms\": %.1f, "
      "\"propagation_p99_ms\": %.1f, "
      "\"journal_write_p50_us\": %.0f, \"journal_write_p99_us\": %.0f, "
      "\"replay_batches\": 1000, \"replay_s\": %.2f, \"replay_per_s\": %.0f}",
      rows, percentile(sqlite_writes, 0.5), percentile(sqlite_writes, 0.99),
      percentile(mariadb_writes, 0.5), percentile(mariadb_writes, 0.99), sqlite_poll.poll_us,
      sqlite_poll.full_read_us, sqlite_poll.full_read_us / sqlite_poll.poll_us,
      mariadb_poll.poll_us, mariadb_poll.full_read_us,
      mariadb_poll.full_read_us / mariadb_poll.poll_us, prop.bans, prop.p50_ms, prop.p99_ms,
      percentile(journal_writes, 0.5), percentile(journal_writes, 0.99), replay_s,
      1000.0 / replay_s);
  std::cout << json << std::endl;
  return 0;
}
