// SPDX-License-Identifier: GPL-2.0-only
// The soak: the real mcf2bd for MCF2B_SOAK_SECONDS (default 120) under a random but
// replayable mix (MCF2B_SOAK_SEED) of log lines that cross maxretry, mcf2b-ctl ban, unban,
// whitelist add/remove, jail change, status and list, log rotation (rename and
// copytruncate), SIGHUP, kill -9 and restart every few seconds, the state file's file
// system full for a few seconds, and the store locked by another writer for a few
// seconds. The driver keeps a model of what it was promised; at the end, after a final
// restart and once the store writer has drained, the store, the pinned maps, the ipsets,
// the daemon and `mcf2b-ctl list` hold exactly the same bans, and the model's promises
// hold in them: every promised ban present unless it expired or was lifted, no
// whitelisted address banned, no unban undone.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "tests/cli/ctl_runner.h"
#include "tests/e2e/soak_model.h"
#include "tests/fixtures/daemon_process.h"
#include "tests/fixtures/gateway_scenario.h"
#include "tests/fixtures/gateway_testbed.h"
#include "tests/fixtures/private_tmpfs.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"
#include "userspace/enforce/xdp_enforcer.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

int64_t env_number(const char *name, int64_t fallback) {
  const char *v = std::getenv(name);
  return v && *v ? std::strtoll(v, nullptr, 10) : fallback;
}

int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The members of `ipset list` output, one per line after "Members:".
std::set<std::string> ipset_members(const std::string &listing) {
  std::set<std::string> out;
  std::istringstream in(listing);
  std::string line;
  bool members = false;
  while (std::getline(in, line)) {
    if (members && !line.empty())
      out.insert(line.substr(0, line.find(' ')));
    if (line.rfind("Members:", 0) == 0)
      members = true;
  }
  return out;
}

// A store outage that ends on its own clock, whatever the daemon and the driver are
// doing meanwhile (a restart included): the state file system full (a filler file), or
// another writer holding SQLite's write lock (as a backup or an admin's sqlite3 shell
// does), to the daemon a store that does not take writes until it lets go.
class StoreOutage {
public:
  enum class Kind { disk_full, locked };
  StoreOutage(Kind kind, std::string state_file, std::string filler,
              std::chrono::milliseconds length)
      : kind_(kind) {
    std::promise<std::string> started;
    auto ready = started.get_future();
    thread_ =
        std::thread([this, state_file, filler, length, started = std::move(started)]() mutable {
          sqlite3 *db = nullptr;
          std::string why;
          if (kind_ == Kind::disk_full) {
            why = checkpoint(state_file);
            if (why.empty())
              why = fill(filler);
          } else if (sqlite3_open_v2(state_file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) !=
                         SQLITE_OK ||
                     sqlite3_busy_timeout(db, 60000) != SQLITE_OK ||
                     sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
            why = "lock the store: " + std::string(sqlite3_errmsg(db));
          }
          started.set_value(why);
          if (why.empty())
            std::this_thread::sleep_for(length);
          if (db) {
            sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
            sqlite3_close_v2(db);
          }
          if (kind_ == Kind::disk_full)
            std::filesystem::remove(filler);
          over_ = true;
        });
    error_ = ready.get();
  }
  ~StoreOutage() { thread_.join(); }
  StoreOutage(const StoreOutage &) = delete;
  StoreOutage &operator=(const StoreOutage &) = delete;

  [[nodiscard]] const std::string &error() const { return error_; } // empty: it began
  [[nodiscard]] bool over() const { return over_; }
  [[nodiscard]] Kind kind() const { return kind_; }

private:
  // Another process checkpoints the WAL to nothing (as sqlite3's shell or a backup may
  // do), so the daemon's next write must grow it: on a full disk, it cannot. Without
  // this, a WAL that reuses its space never notices the disk is full.
  static std::string checkpoint(const std::string &state_file) {
    sqlite3 *db = nullptr;
    std::string why;
    if (sqlite3_open_v2(state_file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK ||
        sqlite3_busy_timeout(db, 60000) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) != SQLITE_OK)
      why = "checkpoint the store: " + std::string(sqlite3_errmsg(db));
    sqlite3_close_v2(db);
    return why;
  }

  // Fills the file system to the last byte.
  static std::string fill(const std::string &filler) {
    int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
      return "open " + filler + ": " + std::strerror(errno);
    std::string block(4096, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    int err = errno;
    ::close(fd);
    return err == ENOSPC ? std::string() : "fill: " + std::string(std::strerror(err));
  }

  Kind kind_;
  std::thread thread_;
  std::atomic<bool> over_{false};
  std::string error_;
};

class Soak : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(require_root());
    ASSERT_TRUE(require_program("ipset"));
    seed = static_cast<uint64_t>(env_number("MCF2B_SOAK_SEED", 0));
    if (seed == 0)
      seed = std::random_device{}() | 1;
    seconds = env_number("MCF2B_SOAK_SECONDS", 120);
    std::cout << "soak: seed " << seed << " (MCF2B_SOAK_SEED to replay), " << seconds << " s"
              << std::endl;
    rng.seed(seed);
    auto b = GatewayTestbed::create({kAttacker});
    ASSERT_TRUE(ok(b));
    bed.emplace(std::move(*b));
    auto t = TempDir::create("soak-store");
    ASSERT_TRUE(ok(t));
    store_dir.emplace(std::move(*t));
    // The state file on a small file system of this test's own mount namespace.
    ASSERT_TRUE(ok(mount_private_tmpfs(store_dir->path(), "8m")));
    DaemonOptions o = bed->daemon_options();
    o.jail_file = mailcleaner_jail_file({"mc-exim", "mc-ssh"});
    o.state_url = "sqlite:" + state_file();
    auto d = DaemonProcess::start(o);
    ASSERT_TRUE(ok(d));
    daemon.emplace(std::move(*d));
    auto names = daemon->call("status");
    ASSERT_TRUE(ok(names));
    ASSERT_TRUE(names->ok);
    for (const auto &j : names->result["jails"])
      jails.push_back(j.get<std::string>());
    model.emplace(jails);
  }

  std::string state_file() const { return store_dir->file("state.sqlite3"); }
  std::string exim_log() const { return daemon->log_file("exim.log"); }

  template <class T> T pick(const std::vector<T> &from) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
  }
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

  void note(const std::string &line) {
    trace.push_back(std::to_string(unix_seconds() % 10000) + " " + line);
    if (std::getenv("MCF2B_SOAK_VERBOSE"))
      std::cout << "soak: " << line << std::endl;
  }

  CtlRun ctl(std::vector<std::string> args) {
    std::vector<std::string> full = {"--socket", daemon->socket_path(), "--state",
                                     daemon->state_url()};
    full.insert(full.end(), args.begin(), args.end());
    return run_ctl(full);
  }

  static json rows_of(const std::string &out) {
    json j = json::parse(out, nullptr, false);
    if (j.is_object() && j.contains("bans"))
      return j["bans"];
    return j.is_array() ? j : json::array();
  }

  // ---- the views ----

  // The daemon's own view: every enabled jail's banned addresses.
  Result<BanSet> daemon_view() {
    auto r = daemon->call("status", {{"all", true}});
    if (!r)
      return r.error();
    if (!r->ok)
      return Error::msg("status --all: " + r->error.message);
    BanSet out;
    for (const auto &j : r->result["jails"])
      for (const auto &ip : j["banned"])
        out.insert({j["name"].get<std::string>(), ip.get<std::string>()});
    return out;
  }
  // The store through the admin command, as MailCleaner's readers see it.
  Result<BanSet> ctl_list_view() {
    auto r = ctl({"list", "--active", "--json"});
    if (r.code != 0)
      return Error::msg("mcf2b-ctl list: " + std::to_string(r.code) + " " + r.err);
    BanSet out;
    for (const auto &row : rows_of(r.out))
      out.insert({row["jail"].get<std::string>(), row["ip"].get<std::string>()});
    return out;
  }
  BanSet ipset_view() {
    BanSet out;
    for (const auto &j : jails)
      for (const auto &ip : ipset_members(bed->ipset_list(j)))
        out.insert({j, ip});
    return out;
  }
  // The state file read directly (the daemon stopped).
  Result<BanSet> store_view() {
    auto store = open_store(daemon->state_url(), {});
    if (!store)
      return store.error();
    auto rows = (*store)->list_bans({.active_only = true, .jail = {}, .host = {}});
    if (!rows)
      return rows.error();
    BanSet out;
    for (const auto &b : *rows)
      out.insert({b.jail, b.ip.to_string()});
    return out;
  }
  // The pinned maps read directly through the enforcer's own reader (the daemon stopped:
  // one process per pin root).
  Result<BanSet> map_view() {
    auto e = XdpEnforcer::open({bed->pin_root(), 1u << 20, [](std::string_view) {}});
    if (!e)
      return e.error();
    BanSet out;
    for (const auto &j : jails) {
      auto bans = e->list_bans(j);
      if (!bans)
        return bans.error().context(j);
      for (const auto &b : *bans)
        out.insert({j, b.prefix.to_string()});
    }
    return out;
  }

  // ---- the disturbances ----

  void start_outage() {
    auto kind = between(0, 1) ? StoreOutage::Kind::disk_full : StoreOutage::Kind::locked;
    // Mostly a few seconds; one lock in four outlasts SQLite's busy waits (5 attempts of
    // 5 s), so the store really refuses the daemon's writes.
    int length_ms = kind == StoreOutage::Kind::locked && between(0, 3) == 0 ? between(26000, 30000)
                                                                            : between(2000, 8000);
    outage = std::make_unique<StoreOutage>(kind, state_file(), store_dir->file("filler"),
                                           std::chrono::milliseconds(length_ms));
    ASSERT_EQ(outage->error(), "");
    note(std::string(kind == StoreOutage::Kind::disk_full ? "store disk full" : "store locked") +
         " for " + std::to_string(length_ms) + " ms");
  }
  // Waits for the outage to end on its own.
  void end_outage() {
    if (outage)
      note("outage ends");
    outage.reset();
  }

  // kill -9, then a restart; a daemon that cannot start while the store is out is
  // started again once it is back (as systemd's Restart= does).
  void kill_and_restart() {
    daemon->kill();
    ++kills;
    note("kill -9");
    restart();
  }
  void restart() {
    for (int attempt = 0;; ++attempt) {
      auto st = daemon->restart();
      if (st)
        return;
      note("restart refused: " + st.error().message().substr(0, 300));
      if (!outage && attempt > 0) {
        ADD_FAILURE() << "mcf2bd does not start with the store healthy: " << st.error().message()
                      << "\nseed " << seed;
        return;
      }
      end_outage();
    }
  }
  void check_alive() {
    if (daemon->running())
      return;
    ADD_FAILURE() << "mcf2bd died on its own: " << daemon->output() << "\nseed " << seed;
    restart();
  }

  // ---- the log ----

  // Five failure lines of a fresh address, in one write: mc-exim-1d's maxretry. The
  // addresses are from the shared space 100.64.0.0/10 (log) and never the test bed's own
  // (198.18.0.0/24), which the daemon rightly never bans.
  void log_failures() {
    std::string ip =
        "100.64." + std::to_string(next_log / 250) + "." + std::to_string(next_log % 250 + 1);
    ++next_log;
    std::string lines;
    for (int n = 0; n < 5; ++n)
      lines += exim_reject_line(ip, n);
    ASSERT_TRUE(ok(DaemonProcess::append(exim_log(), lines)));
    pending_log.insert(ip);
    model->ban("mc-exim-1d", ip, 0, "5 log lines");
    note("log 5 failures of " + ip);
  }
  // Moves the log addresses the daemon reports banned out of `pending_log`.
  void observe_log_bans() {
    auto view = daemon_view();
    if (!view)
      return;
    for (auto it = pending_log.begin(); it != pending_log.end();)
      it = view->count({"mc-exim-1d", *it}) ? pending_log.erase(it) : std::next(it);
  }
  // Waits until every log address written so far is banned (bounded: a stalled store
  // delays the daemon, it must not stop it).
  void drain_log() {
    auto deadline = SteadyClock::now() + std::chrono::seconds(180);
    while (!pending_log.empty() && SteadyClock::now() < deadline) {
      check_alive();
      observe_log_bans();
      if (!pending_log.empty())
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!pending_log.empty())
      ADD_FAILURE() << "log lines that cross maxretry made no ban: " << *pending_log.begin()
                    << " and " << pending_log.size() - 1 << " more\nseed " << seed;
    pending_log.clear();
  }
  // logrotate's rename + create, keeping five generations (PATH.1 .. PATH.5).
  void rotate_rename() {
    const std::string log = exim_log();
    for (int g = 4; g >= 1; --g)
      if (std::filesystem::exists(log + "." + std::to_string(g)))
        std::filesystem::rename(log + "." + std::to_string(g), log + "." + std::to_string(g + 1));
    std::filesystem::rename(log, log + ".1");
    ASSERT_TRUE(ok(DaemonProcess::append(log, "")));
    note("rotate (rename + create)");
  }
  // logrotate's copytruncate: lines not read before the truncation are gone by design,
  // so the daemon is let to read them first.
  void rotate_copytruncate() {
    drain_log();
    const std::string log = exim_log();
    for (int g = 4; g >= 1; --g)
      if (std::filesystem::exists(log + "." + std::to_string(g)))
        std::filesystem::rename(log + "." + std::to_string(g), log + "." + std::to_string(g + 1));
    std::filesystem::copy_file(log, log + ".1");
    std::filesystem::resize_file(log, 0);
    note("rotate (copytruncate)");
  }

  // ---- the commands ----

  std::string fresh_manual_ip() {
    ++next_manual;
    return "100.65." + std::to_string(next_manual / 250) + "." +
           std::to_string(next_manual % 250 + 1);
  }
  // An address the model knows that is not waiting for the log.
  std::optional<std::string> known_settled_ip() {
    std::vector<std::string> ips;
    for (const auto &ip : model->known_ips())
      if (!pending_log.count(ip))
        ips.push_back(ip);
    if (ips.empty())
      return std::nullopt;
    return pick(ips);
  }

  void command_ban() {
    std::string jail = pick(std::vector<std::string>{"mc-exim-1d", "mc-exim-1w", "mc-ssh-1d"});
    std::string ip =
        between(0, 3) == 0 && known_settled_ip() ? *known_settled_ip() : fresh_manual_ip();
    std::vector<std::string> args = {"ban", "-j", jail, "-i", ip, "--json"};
    int bantime = 0;
    if (between(0, 4) == 0) {
      bantime = between(10, 40);
      args.insert(args.end(), {"--bantime", std::to_string(bantime)});
    }
    int64_t asked = unix_seconds();
    auto r = ctl(args);
    note("ban " + jail + " " + ip + (bantime ? " for " + std::to_string(bantime) + " s" : "") +
         " -> " + std::to_string(r.code));
    if (r.code == 0) {
      for (const auto &row : rows_of(r.out)) {
        int64_t end = row.value("end", int64_t{0});
        // A ban that ends within the soak is promised until then; a day's is for good.
        bool short_ban = end != 0 && end < asked + 3600;
        model->ban(row["jail"].get<std::string>(), row["ip"].get<std::string>(),
                   short_ban ? end : 0, "ban answered ok");
      }
    } else if (r.code == 1 && r.err.find("whitelisted") != std::string::npos) {
      if (!model->whitelisted(family_of(jail), ip))
        ADD_FAILURE() << "ban of " << ip << " refused as whitelisted, never whitelisted: " << r.err
                      << "\nseed " << seed;
    } else if (r.code != 3) {
      note("ban answered " + r.err);
      model->forget(family_of(jail), ip);
    }
  }
  void command_unban() {
    auto ip = known_settled_ip();
    if (!ip)
      return;
    std::string family = pick(std::vector<std::string>{"mc-exim", "mc-ssh", ""});
    std::vector<std::string> args = {"unban", "-i", *ip};
    if (!family.empty())
      args.insert(args.end(), {"-j", family});
    auto r = ctl(args);
    note("unban " + (family.empty() ? "everywhere" : family) + " " + *ip + " -> " +
         std::to_string(r.code));
    if (r.code == 0)
      model->unban(family, *ip, "unban answered ok");
    else if (r.err.find("not") == std::string::npos)
      model->forget(family, *ip);
  }
  void command_whitelist() {
    std::string family = pick(std::vector<std::string>{"mc-exim", "mc-ssh"});
    if (!whitelisted.empty() && between(0, 1) == 0) {
      auto [fam, ip] = pick(std::vector<BanKey>(whitelisted.begin(), whitelisted.end()));
      auto r = ctl({"whitelist", "remove", "-j", fam, "-i", ip});
      note("whitelist remove " + fam + " " + ip + " -> " + std::to_string(r.code));
      if (r.code == 0) {
        model->whitelist_remove(fam, ip);
        whitelisted.erase({fam, ip});
      } else {
        ADD_FAILURE() << "whitelist remove refused: " << r.err << "\nseed " << seed;
      }
      return;
    }
    auto ip = known_settled_ip();
    if (!ip || whitelisted.count({family, *ip}))
      return;
    auto r = ctl({"whitelist", "add", "-j", family, "-i", *ip});
    note("whitelist add " + family + " " + *ip + " -> " + std::to_string(r.code));
    if (r.code == 0) {
      model->whitelist_add(family, *ip, "whitelisted");
      whitelisted.insert({family, *ip});
    } else {
      ADD_FAILURE() << "whitelist add refused: " << r.err << "\nseed " << seed;
    }
  }
  // Changes that move no existing ban: mc-exim-1w's maxretry (above what one address
  // ever writes) and findtime.
  void command_jail_change() {
    bool maxretry = between(0, 1) == 0;
    std::string option = maxretry ? "maxretry" : "findtime";
    std::string value =
        maxretry ? std::to_string(between(20, 30)) : std::to_string(between(1, 3)) + "d";
    auto r = ctl({"jail", "change", "-j", "mc-exim-1w", "--option", option, "-v", value});
    note("jail change mc-exim-1w " + option + " " + value + " -> " + std::to_string(r.code));
    if (r.code == 0)
      jail_settings[option] = maxretry ? std::stoll(value) : 86400LL * std::stoll(value);
    else
      ADD_FAILURE() << "jail change refused: " << r.err << "\nseed " << seed;
  }
  void command_read() {
    auto r = between(0, 1) ? ctl({"status", pick(std::vector<std::string>{"mc-exim", "mc-ssh"})})
                           : ctl({"list", "--active"});
    if (r.code != 0)
      ADD_FAILURE() << "a read command failed: " << r.err << "\nseed " << seed;
    observe_log_bans();
  }

  // ---- the end ----

  // The daemon's views agree with each other and the short bans are over: polled,
  // bounded (a bound, not a timing claim).
  void settle() {
    auto deadline = SteadyClock::now() + std::chrono::seconds(240);
    std::string last;
    while (SteadyClock::now() < deadline) {
      check_alive();
      auto stats = daemon->call("stats");
      auto ping = daemon->call("ping");
      bool drained = stats && stats->ok && stats->result["daemon"].value("store_pending", -1) == 0;
      bool caught_up = ping && ping->ok && !ping->result.contains("catching_up");
      bool short_over = unix_seconds() > model->last_short_end() + 1;
      auto mine = daemon_view();
      auto listed = ctl_list_view();
      BanSet sets = ipset_view();
      if (drained && caught_up && short_over && mine && listed && *mine == *listed && *mine == sets)
        return;
      last = std::string(drained ? "" : "store writer not drained; ") +
             (caught_up ? "" : "catching up; ") + (short_over ? "" : "short bans running; ") +
             (mine && listed ? difference("daemon", *mine, "list", *listed) : "") + " " +
             (mine ? difference("daemon", *mine, "ipset", sets) : "");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "the views never agreed: " << last << "\nseed " << seed;
  }

  uint64_t seed = 0;
  int64_t seconds = 120;
  std::mt19937_64 rng;
  std::optional<GatewayTestbed> bed;
  std::optional<TempDir> store_dir;
  std::optional<DaemonProcess> daemon;
  std::vector<std::string> jails;
  std::optional<SoakModel> model;
  std::set<std::string> pending_log;
  std::set<BanKey> whitelisted; // (family, ip)
  std::map<std::string, int64_t> jail_settings;
  std::unique_ptr<StoreOutage> outage;
  int next_log = 0, next_manual = 0, kills = 0;
  std::vector<std::string> trace;
};

TEST_F(Soak, EverythingPromisedHoldsAndStoreMapsAndIpsetsAgree) {
  const auto soak_end = SteadyClock::now() + std::chrono::seconds(seconds);
  auto next_kill = SteadyClock::now() + std::chrono::seconds(between(2, 6));
  auto next_outage = SteadyClock::now() + std::chrono::seconds(between(3, 10));
  std::map<std::string, int> done;
  while (SteadyClock::now() < soak_end && !HasFatalFailure()) {
    auto now = SteadyClock::now();
    if (outage && outage->over()) {
      end_outage();
      next_outage = now + std::chrono::seconds(between(4, 12));
    } else if (!outage && now >= next_outage) {
      start_outage();
      ++done[outage->kind() == StoreOutage::Kind::disk_full ? "disk full" : "store locked"];
    }
    if (now >= next_kill) {
      kill_and_restart();
      ++done["kill -9 + restart"];
      next_kill = SteadyClock::now() + std::chrono::seconds(between(2, 6));
    }
    check_alive();
    int dice = between(0, 99);
    std::string what;
    if (dice < 30)
      log_failures(), what = "log failures";
    else if (dice < 48)
      command_ban(), what = "ban";
    else if (dice < 60)
      command_unban(), what = "unban";
    else if (dice < 67)
      command_whitelist(), what = "whitelist";
    else if (dice < 71)
      command_jail_change(), what = "jail change";
    else if (dice < 85)
      command_read(), what = "status/list";
    else if (dice < 90)
      rotate_rename(), what = "rotate rename";
    else if (dice < 93)
      rotate_copytruncate(), what = "rotate copytruncate";
    else if (dice < 97)
      (void)daemon->signal(SIGHUP), what = "SIGHUP", note("SIGHUP");
    else
      what = "idle";
    ++done[what];
    std::this_thread::sleep_for(std::chrono::milliseconds(between(20, 150)));
  }
  end_outage();
  std::cout << "soak: done";
  for (const auto &[what, n] : done)
    std::cout << ", " << what << " " << n;
  std::cout << std::endl;

  // A final restart, then everything read and stored.
  kill_and_restart();
  drain_log();
  note("log drained");
  settle();
  note("views agree");
  auto mine = daemon_view();
  auto listed = ctl_list_view();
  ASSERT_TRUE(ok(mine));
  ASSERT_TRUE(ok(listed));
  BanSet sets = ipset_view();
  auto jail_list = ctl({"jail", "list", "--json"});
  auto stats = daemon->call("stats");
  ASSERT_TRUE(ok(stats));
  EXPECT_EQ(stats->result["daemon"].value("store_dropped", -1), 0) << stats->result.dump();
  ASSERT_TRUE(ok(daemon->stop()));
  if (const char *keep = std::getenv("MCF2B_SOAK_DAEMON_LOG"); keep && *keep)
    std::filesystem::copy_file(daemon->output_path(), keep,
                               std::filesystem::copy_options::overwrite_existing);
  auto stored = store_view();
  auto maps = map_view();
  ASSERT_TRUE(ok(stored));
  ASSERT_TRUE(ok(maps));
  int64_t now = unix_seconds();

  std::string trail;
  for (size_t i = trace.size() > 60 ? trace.size() - 60 : 0; i < trace.size(); ++i)
    trail += "  " + trace[i] + "\n";
  auto context = [&] { return "\nseed " + std::to_string(seed) + "; last steps:\n" + trail; };
  EXPECT_EQ(difference("store", *stored, "maps", *maps), "") << context();
  EXPECT_EQ(difference("store", *stored, "ipset", sets), "") << context();
  EXPECT_EQ(difference("store", *stored, "daemon", *mine), "") << context();
  EXPECT_EQ(difference("store", *stored, "mcf2b-ctl list", *listed), "") << context();
  for (const auto &[name, view] : std::vector<std::pair<std::string, const BanSet *>>{
           {"store", &*stored}, {"maps", &*maps}, {"ipset", &sets}}) {
    auto broken = model->violations(*view, now);
    std::string text;
    for (const auto &b : broken)
      text += "  " + b + "\n";
    EXPECT_TRUE(broken.empty()) << name << ":\n" << text << context();
  }
  // The last jail change of each option is what the jail has.
  ASSERT_EQ(jail_list.code, 0) << jail_list.err;
  json listed_jails = json::parse(jail_list.out, nullptr, false);
  if (listed_jails.is_object())
    listed_jails = listed_jails["jails"];
  for (const auto &j : listed_jails) {
    if (j["name"] != "mc-exim-1w")
      continue;
    for (const auto &[option, value] : jail_settings)
      EXPECT_EQ(j[option].get<int64_t>(), value) << option << context();
  }
  std::cout << "soak: " << stored->size() << " bans agree in store, maps, ipsets, daemon and "
            << "mcf2b-ctl list after " << kills << " kill -9; seed " << seed << std::endl;
}

} // namespace
