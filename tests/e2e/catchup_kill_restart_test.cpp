// SPDX-License-Identifier: GPL-2.0-only
// A daemon killed (SIGKILL) while it reads a backlog, its store commits running on their
// own thread: what the store holds at the kill is consistent (every ban decided by a
// line before the stored log position has its row: the rows and the position are one
// transaction), and the next daemon resumes exactly at that position (it reads no stored
// line again) and ends with every ban the backlog holds.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "tests/fixtures/daemon_process.h"
#include "tests/fixtures/gateway_scenario.h"
#include "tests/fixtures/gateway_testbed.h"
#include "tests/fixtures/requirements.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

constexpr int kAttackers = 2000;
constexpr const char *kJail = "mc-exim-1d"; // maxretry 5

// An address of the shared space (100.64.0.0/10), never the test bed's own.
std::string attacker(int a) {
  return "100.65." + std::to_string(a / 250) + "." + std::to_string(1 + a % 250);
}

struct Backlog {
  std::string text;
  std::vector<uint64_t> banned_at; // per attacker: the offset past its fifth failure line
};

// Every attacker's five failures, interleaved with the lines a gateway mostly logs.
Backlog make_backlog() {
  Backlog b;
  b.banned_at.resize(kAttackers);
  for (int n = 0; n < 5; ++n)
    for (int a = 0; a < kAttackers; ++a) {
      b.text += exim_reject_line(attacker(a), n);
      if (n == 4)
        b.banned_at[a] = b.text.size();
      for (int k = 0; k < 30; ++k)
        b.text += "2026-01-01 00:00:00 1tXyZa-000" + std::to_string(k) +
                  "-Ab => user@example.com R=dnslookup T=remote_smtp H=mx.example.com "
                  "[192.0.2.1] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 OK\"\n";
    }
  return b;
}

uint64_t inode_of(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

uint64_t lines_in(std::string_view text) {
  return static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
}

class CatchUpKillRestart : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(require_root());
    auto b = GatewayTestbed::create({kAttacker});
    ASSERT_TRUE(ok(b));
    bed.emplace(std::move(*b));
    DaemonOptions o = bed->daemon_options();
    o.jail_file = mailcleaner_jail_file({"mc-exim"});
    o.config_lines = "log_level = info\n"; // a line per ban, not per failure
    auto d = DaemonProcess::start(o);
    ASSERT_TRUE(ok(d));
    daemon.emplace(std::move(*d));
  }

  uint64_t lines_read() {
    auto r = daemon->call("stats");
    return r && r->ok ? r->result["daemon"]["lines"].get<uint64_t>() : 0;
  }

  std::optional<GatewayTestbed> bed;
  std::optional<DaemonProcess> daemon;
};

TEST_F(CatchUpKillRestart, NoBanLostAndNoStoredLineReadAgain) {
  const Backlog backlog = make_backlog();
  const std::string log = daemon->log_file("exim.log");
  const std::string staging = daemon->dir() + "/staging.log";
  {
    std::ofstream out(staging, std::ios::binary);
    out << backlog.text;
  }
  // Renamed into place as at a rotation: the daemon reads it as a backlog, in slices.
  ASSERT_EQ(std::rename(staging.c_str(), log.c_str()), 0);
  // Killed as soon as it has read something (bounded wait, no timing claim: a daemon
  // that read it all already is checked the same way).
  for (int i = 0; i < 20000 && lines_read() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  daemon->kill();

  uint64_t stored_offset = 0;
  {
    auto store = open_store("sqlite:" + daemon->dir() + "/state.sqlite3");
    ASSERT_TRUE(ok(store));
    auto position = (*store)->get_position(log);
    ASSERT_TRUE(ok(position));
    // A position of the file the backlog replaced (the empty log at start) says
    // nothing was stored of this one.
    if (*position && (**position).inode == inode_of(log))
      stored_offset = (**position).offset;
    BanQuery query;
    query.active_only = true;
    query.jail = kJail;
    auto rows = (*store)->list_bans(query);
    ASSERT_TRUE(ok(rows));
    std::set<std::string> stored;
    for (const auto &r : *rows)
      stored.insert(r.ip.to_string());
    for (int a = 0; a < kAttackers; ++a) {
      if (backlog.banned_at[a] <= stored_offset) {
        EXPECT_TRUE(stored.count(attacker(a)))
            << attacker(a) << " was banned by a line before the stored position (" << stored_offset
            << ") but has no row";
      }
    }
  }
  std::printf("killed with %llu of %zu bytes stored as read\n",
              static_cast<unsigned long long>(stored_offset), backlog.text.size());

  ASSERT_TRUE(ok(daemon->restart()));
  const uint64_t left = lines_in(std::string_view(backlog.text).substr(stored_offset));
  // Bounded wait for the rest of the backlog.
  for (int i = 0; i < 3000 && lines_read() < left; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(lines_read(), left) << "the restarted daemon reads from the stored position on";
  auto status = daemon->call("status", {{"jail", kJail}});
  ASSERT_TRUE(ok(status));
  ASSERT_TRUE(status->ok) << status->error.message;
  std::set<std::string> banned;
  for (const auto &b : status->result["jails"][0]["banned"])
    banned.insert(b.get<std::string>());
  for (int a = 0; a < kAttackers; ++a)
    EXPECT_TRUE(banned.count(attacker(a))) << attacker(a) << " is not banned";
}

} // namespace
