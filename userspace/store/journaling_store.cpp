// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/store/journaling_store.h"

#include <cstdio>
#include <ctime>
#include <random>

#include "userspace/store/mutation_codec.h"
#include "userspace/store/store_url.h"

namespace mcf2b {
namespace {

constexpr int64_t kSeqReserveBlock = 1000;
constexpr int64_t kReplayBatch = 64;

std::string random_incarnation() {
  std::random_device rd;
  uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

Error unreachable(const std::string &last_error) {
  return Error{"cluster master unreachable" + (last_error.empty() ? "" : ": " + last_error),
               kStoreUnreachable};
}

template <class T> Status status_of(const Result<T> &r) {
  if (!r)
    return r.error();
  return {};
}

} // namespace

Result<std::unique_ptr<JournalingStore>> JournalingStore::open(JournalOptions options) {
  auto url = parse_store_url(options.master_url);
  if (!url)
    return url.error();
  if (!std::holds_alternative<MariadbUrl>(*url))
    return Error::msg("the journal wraps a MariaDB master; '" + options.master_url +
                      "' is not a mariadb:// URL");
  if (options.journal_path.empty())
    return Error::msg("no journal file given for the MariaDB master");
  std::unique_ptr<JournalingStore> store(new JournalingStore(std::move(options)));
  if (auto st = store->open_local(); !st)
    return st.error();
  std::lock_guard lock(store->mutex_);
  store->master_ready(true); // an unreachable master is fine: the snapshot serves
  return store;
}

Status JournalingStore::open_local() {
  auto local = SqliteStore::open(options_.journal_path, options_.node, /*change_log=*/false);
  if (!local)
    return local.error().context("local journal");
  local_ = std::move(*local);
  std::string incarnation;
  Status st = local_->with_connection([&](SqlConnection &c) -> Status {
    for (const char *sql :
         {"CREATE TABLE IF NOT EXISTS mcf2b_journal (client_seq INTEGER NOT NULL PRIMARY KEY,"
          " batch TEXT NOT NULL, created INTEGER NOT NULL)",
          "CREATE TABLE IF NOT EXISTS mcf2b_journal_rejected (client_seq INTEGER NOT NULL"
          " PRIMARY KEY, batch TEXT NOT NULL, error TEXT NOT NULL, created INTEGER NOT NULL)",
          "CREATE TABLE IF NOT EXISTS mcf2b_journal_meta (id INTEGER NOT NULL PRIMARY KEY,"
          " incarnation TEXT NOT NULL, reserved_seq INTEGER NOT NULL)"})
      if (auto s = c.exec(sql); !s)
        return s;
    bool found = false;
    auto r = c.run("SELECT incarnation, reserved_seq FROM mcf2b_journal_meta WHERE id = 1", {},
                   [&](const SqlRow &row) {
                     found = true;
                     incarnation = std::string(row.text(0));
                     reserved_seq_ = row.integer(1);
                   });
    if (!r)
      return r.error();
    if (!found) {
      incarnation = random_incarnation();
      reserved_seq_ = 0;
      if (auto w = c.run("INSERT INTO mcf2b_journal_meta (id, incarnation, reserved_seq)"
                         " VALUES (1, ?, 0)",
                         {incarnation});
          !w)
        return w.error();
    }
    // Numbers up to reserved_seq_ may have been handed out before a crash.
    next_seq_ = reserved_seq_ + 1;
    for (auto [sql, counter] : {std::pair{"SELECT COUNT(*) FROM mcf2b_journal", &journaled_},
                                std::pair{"SELECT COUNT(*) FROM mcf2b_journal_rejected",
                                          &rejected_}}) {
      auto n = c.run(sql, {}, [&, counter = counter](const SqlRow &row) {
        *counter = static_cast<size_t>(row.integer(0));
      });
      if (!n)
        return n.error();
    }
    return {};
  });
  if (!st)
    return st.error().context("local journal " + options_.journal_path);
  writer_ = local_->node() + "/" + incarnation;
  return {};
}

Result<int64_t> JournalingStore::next_client_seq() {
  if (next_seq_ > reserved_seq_) {
    // Reserve a block durably, so numbers stay unique across restarts without a disk
    // write per batch.
    int64_t reserve = next_seq_ + kSeqReserveBlock - 1;
    Status st = local_->with_connection([&](SqlConnection &c) {
      return status_of(
          c.run("UPDATE mcf2b_journal_meta SET reserved_seq = ? WHERE id = 1", {reserve}));
    });
    if (!st)
      return st.error().context("local journal: reserve client sequence numbers");
    reserved_seq_ = reserve;
  }
  return next_seq_++;
}

void JournalingStore::mark_down(const Error &e) {
  down_ = true;
  down_since_ = std::chrono::steady_clock::now();
  needs_refresh_ = true;
  last_error_ = e.message();
}

bool JournalingStore::master_ready(bool force) {
  if (down_ && !force &&
      std::chrono::steady_clock::now() - down_since_ < options_.retry_interval)
    return false;
  if (!master_) {
    auto m = MariadbStore::open(options_.master_url, local_->node());
    if (!m) {
      mark_down(m.error());
      return false;
    }
    master_ = std::move(*m);
  }
  down_ = false; // until a call says otherwise
  if (journaled_ > 0) {
    replay();
    if (down_ || journaled_ > 0)
      return false;
  }
  if (needs_refresh_)
    refresh_snapshot();
  return !down_;
}

Status JournalingStore::journal(std::span<const Mutation> batch, int64_t client_seq) {
  std::string text = encode_batch(batch);
  auto now = static_cast<int64_t>(std::time(nullptr));
  Status st = local_->apply_with(nullptr, batch, [&](SqlConnection &c) {
    return status_of(c.run("INSERT INTO mcf2b_journal (client_seq, batch, created)"
                           " VALUES (?, ?, ?)",
                           {client_seq, text, now}));
  });
  if (!st)
    return st.error().context("journal a write while the master is unreachable");
  ++journaled_;
  return {};
}

void JournalingStore::replay() {
  while (journaled_ > 0) {
    std::vector<std::pair<int64_t, std::string>> entries;
    Status read = local_->with_connection([&](SqlConnection &c) {
      return status_of(c.run(
          "SELECT client_seq, batch FROM mcf2b_journal ORDER BY client_seq LIMIT ?",
          {kReplayBatch}, [&](const SqlRow &row) {
            entries.emplace_back(row.integer(0), std::string(row.text(1)));
          }));
    });
    if (!read) {
      last_error_ = read.error().message();
      return;
    }
    if (entries.empty()) {
      journaled_ = 0;
      return;
    }
    for (auto &entry : entries) {
      // Named copies, not structured bindings: the lambda below captures them, which
      // C++20 allows but clang before 16 refuses (the fuzz build uses clang).
      const auto seq = entry.first;
      const auto &text = entry.second;
      std::optional<Error> refused;
      auto batch = decode_batch(text);
      if (!batch) {
        refused = batch.error();
      } else {
        auto r = master_->apply_once(*batch, writer_, seq);
        if (!r && r.error().code == kStoreUnreachable) {
          mark_down(r.error());
          return;
        }
        if (!r)
          refused = r.error();
      }
      // Applied (or refused for good): the entry leaves the journal. A crash right here
      // replays it again, and apply_once skips it.
      auto now = static_cast<int64_t>(std::time(nullptr));
      std::string why = refused ? refused->message() : std::string();
      Status moved = local_->with_connection([&](SqlConnection &c) -> Status {
        if (auto b = c.begin(); !b)
          return b;
        if (refused) {
          if (auto w = c.run("INSERT OR REPLACE INTO mcf2b_journal_rejected"
                             " (client_seq, batch, error, created) VALUES (?, ?, ?, ?)",
                             {seq, text, why, now});
              !w) {
            c.rollback();
            return w.error();
          }
        }
        if (auto d = c.run("DELETE FROM mcf2b_journal WHERE client_seq = ?", {seq}); !d) {
          c.rollback();
          return d.error();
        }
        return c.commit();
      });
      if (!moved) {
        last_error_ = moved.error().message();
        return;
      }
      --journaled_;
      if (refused) {
        ++rejected_;
        last_error_ = "the master refused journaled batch " + std::to_string(seq) + ": " + why;
      }
    }
  }
}

void JournalingStore::refresh_snapshot() {
  if (pending_seed_) {
    auto seeded = master_->seed_default_jails();
    if (!seeded) {
      if (seeded.error().code == kStoreUnreachable)
        return mark_down(seeded.error());
      last_error_ = seeded.error().message();
    }
    pending_seed_ = false;
  }
  auto jails = master_->list_jails();
  auto settings = jails ? master_->list_settings() : jails.error();
  auto mail = settings ? master_->get_mail_conf() : settings.error();
  auto bans = mail ? master_->list_bans({}) : mail.error();
  if (!bans) {
    if (bans.error().code == kStoreUnreachable)
      mark_down(bans.error());
    else
      last_error_ = bans.error().message();
    return;
  }
  std::vector<Mutation> batch;
  batch.reserve(jails->size() + settings->size() + bans->size());
  for (auto &j : *jails)
    batch.emplace_back(PutJail{std::move(j)});
  for (auto &[key, value] : *settings)
    batch.emplace_back(PutSetting{key, value});
  for (auto &b : *bans)
    batch.emplace_back(PutBan{std::move(b)});
  batch.emplace_back(PutMailConf{*mail});
  Status st = local_->apply_with(
      [](SqlConnection &c) -> Status {
        for (const char *sql : {"DELETE FROM fail2ban_jail", "DELETE FROM fail2ban_ips",
                                "DELETE FROM mcf2b_settings"})
          if (auto s = c.exec(sql); !s)
            return s;
        return {};
      },
      batch, nullptr);
  if (!st) {
    last_error_ = st.error().context("refresh the local snapshot").message();
    return;
  }
  needs_refresh_ = false;
}

void JournalingStore::apply_to_snapshot(const std::vector<Change> &changes) {
  std::vector<Mutation> batch;
  for (const Change &c : changes) {
    switch (c.kind) {
    case ChangeKind::ban:
    case ChangeKind::whitelist_add:
      batch.emplace_back(PutBan{c.row});
      break;
    case ChangeKind::unban:
      batch.emplace_back(Unban{c.row.ip, c.jail});
      break;
    case ChangeKind::whitelist_remove:
      batch.emplace_back(RemoveWhitelist{c.row.ip, c.jail});
      break;
    case ChangeKind::jail_put:
      if (auto j = master_->get_jail(c.jail); j && *j)
        batch.emplace_back(PutJail{**j});
      else
        needs_refresh_ = true;
      break;
    case ChangeKind::jail_remove:
      batch.emplace_back(RemoveJail{c.jail});
      break;
    case ChangeKind::setting_put:
      batch.emplace_back(PutSetting{c.key, c.value});
      break;
    case ChangeKind::counts_reset:
      batch.emplace_back(ResetBanCounts{c.jail});
      break;
    case ChangeKind::mail_conf_put:
      if (auto m = master_->get_mail_conf(); m)
        batch.emplace_back(PutMailConf{*m});
      else
        needs_refresh_ = true;
      break;
    }
  }
  // The snapshot is a cache: a failure here is healed by the next full refresh.
  if (!local_->apply(batch))
    needs_refresh_ = true;
}

Status JournalingStore::apply(std::span<const Mutation> batch) {
  std::lock_guard lock(mutex_);
  auto seq = next_client_seq();
  if (!seq)
    return seq.error();
  if (master_ready(false)) {
    auto r = master_->apply_once(batch, writer_, *seq);
    if (r) {
      if (!local_->apply(batch))
        needs_refresh_ = true;
      return {};
    }
    if (r.error().code != kStoreUnreachable)
      return r.error();
    mark_down(r.error());
  }
  return journal(batch, *seq);
}

Result<bool> JournalingStore::seed_default_jails() {
  std::lock_guard lock(mutex_);
  if (master_ready(false)) {
    auto r = master_->seed_default_jails();
    if (r) {
      if (*r) {
        needs_refresh_ = true;
        refresh_snapshot();
      }
      return r;
    }
    if (r.error().code != kStoreUnreachable)
      return r;
    mark_down(r.error());
  }
  // Seed the snapshot only; the master is seeded (if it is still empty) when it is back,
  // and its jails then replace these.
  auto r = local_->seed_default_jails();
  if (r && *r)
    pending_seed_ = true;
  return r;
}

Status JournalingStore::set_position(const LogPosition &position) {
  return local_->set_position(position);
}
Result<std::optional<LogPosition>> JournalingStore::get_position(std::string_view path) {
  return local_->get_position(path);
}
Result<std::vector<LogPosition>> JournalingStore::list_positions() {
  return local_->list_positions();
}

template <class T, class Fn> Result<T> JournalingStore::read(Fn fn) {
  std::lock_guard lock(mutex_);
  if (master_ready(false)) {
    Result<T> r = fn(static_cast<StateStore &>(*master_));
    if (r || r.error().code != kStoreUnreachable)
      return r;
    mark_down(r.error());
  }
  return fn(static_cast<StateStore &>(*local_));
}

Result<std::vector<JailConfig>> JournalingStore::list_jails() {
  return read<std::vector<JailConfig>>([](StateStore &s) { return s.list_jails(); });
}
Result<std::optional<JailConfig>> JournalingStore::get_jail(std::string_view name) {
  return read<std::optional<JailConfig>>([&](StateStore &s) { return s.get_jail(name); });
}
Result<std::vector<BanRecord>> JournalingStore::list_bans(const BanQuery &query) {
  return read<std::vector<BanRecord>>([&](StateStore &s) { return s.list_bans(query); });
}
Result<size_t> JournalingStore::count_bans(const BanQuery &query) {
  return read<size_t>([&](StateStore &s) { return s.count_bans(query); });
}
Result<std::optional<BanRecord>> JournalingStore::get_ban(const IpPrefix &ip,
                                                          std::string_view jail) {
  return read<std::optional<BanRecord>>([&](StateStore &s) { return s.get_ban(ip, jail); });
}
Result<std::vector<WhitelistRow>> JournalingStore::list_whitelist(std::string_view jail) {
  return read<std::vector<WhitelistRow>>([&](StateStore &s) { return s.list_whitelist(jail); });
}
Result<std::optional<std::string>> JournalingStore::get_setting(std::string_view key) {
  return read<std::optional<std::string>>([&](StateStore &s) { return s.get_setting(key); });
}
Result<std::map<std::string, std::string>> JournalingStore::list_settings() {
  return read<std::map<std::string, std::string>>([](StateStore &s) { return s.list_settings(); });
}

Result<MailConf> JournalingStore::get_mail_conf() {
  return read<MailConf>([](StateStore &s) { return s.get_mail_conf(); });
}

Result<std::vector<Change>> JournalingStore::changes_since(int64_t since, size_t limit) {
  std::lock_guard lock(mutex_);
  if (!master_ready(false))
    return unreachable(last_error_);
  auto r = master_->changes_since(since, limit);
  if (!r) {
    if (r.error().code == kStoreUnreachable)
      mark_down(r.error());
    return r;
  }
  apply_to_snapshot(*r);
  return r;
}

Result<int64_t> JournalingStore::max_seq() {
  std::lock_guard lock(mutex_);
  if (!master_ready(false))
    return unreachable(last_error_);
  auto r = master_->max_seq();
  if (!r && r.error().code == kStoreUnreachable)
    mark_down(r.error());
  return r;
}

Result<size_t> JournalingStore::flush() {
  std::lock_guard lock(mutex_);
  master_ready(true);
  return journaled_;
}

JournalingStore::State JournalingStore::state() {
  std::lock_guard lock(mutex_);
  return State{master_ != nullptr && !down_, journaled_, rejected_, last_error_};
}

} // namespace mcf2b
