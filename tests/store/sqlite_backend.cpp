// SPDX-License-Identifier: GPL-2.0-only
#include <sqlite3.h>

#include "tests/fixtures/temp_dir.h"
#include "tests/store/backend_under_test.h"

namespace mcf2b::testing {
namespace {

class SqliteBackend final : public BackendUnderTest {
public:
  explicit SqliteBackend(TempDir dir) : dir_(std::move(dir)) {}
  [[nodiscard]] std::string url() const override { return "sqlite:" + path(); }

  Status raw_exec(const std::string &sql) override {
    auto rows = raw_query(sql);
    return rows ? Status() : rows.error();
  }

  Result<Rows> raw_query(const std::string &sql) override {
    sqlite3 *db = nullptr;
    int rc = sqlite3_open_v2(path().c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             nullptr);
    std::unique_ptr<sqlite3, int (*)(sqlite3 *)> owner(db, sqlite3_close_v2);
    if (rc != SQLITE_OK)
      return Error::msg(std::string("open: ") + sqlite3_errstr(rc));
    Rows rows;
    char *message = nullptr;
    rc = sqlite3_exec(
        db, sql.c_str(),
        [](void *out, int n, char **values, char **) {
          auto &r = *static_cast<Rows *>(out);
          r.emplace_back();
          for (int i = 0; i < n; ++i)
            r.back().emplace_back(values[i] ? values[i] : "NULL");
          return 0;
        },
        &rows, &message);
    if (rc != SQLITE_OK) {
      std::string why = message ? message : sqlite3_errstr(rc);
      sqlite3_free(message);
      return Error::msg(why);
    }
    return rows;
  }

  [[nodiscard]] std::vector<std::string> mailcleaner_original_schema() const override {
    // MailCleaner ships these for MySQL only; here are the same columns and defaults.
    return {
        "CREATE TABLE fail2ban_jail (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " enabled BOOLEAN DEFAULT TRUE, name varchar(150) NOT NULL UNIQUE,"
        " maxretry int not NULL, findtime int not NULL, bantime int not NULL,"
        " port varchar(50) NOT NULL, filter varchar(50) NOT NULL,"
        " banaction varchar(50) NOT NULL, logpath varchar(250) NOT NULL,"
        " max_count int not NULL, send_mail BOOLEAN DEFAULT FALSE,"
        " send_mail_bl BOOLEAN DEFAULT TRUE)",
        "CREATE TABLE fail2ban_ips (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " ip varchar(150) NOT NULL, count int not NULL, active BOOLEAN,"
        " blacklisted BOOLEAN DEFAULT FALSE, whitelisted BOOLEAN DEFAULT FALSE,"
        " jail varchar(20) NOT NULL, last_hit TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
        " host varchar(150) NOT NULL)",
        "CREATE TABLE fail2ban_conf (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " src_email varchar(150) NOT NULL, src_name varchar(150) NOT NULL,"
        " dest_email varchar(150) NOT NULL)",
    };
  }

private:
  [[nodiscard]] std::string path() const { return dir_.file("state.sqlite3"); }
  TempDir dir_;
};

} // namespace

static Result<std::unique_ptr<BackendUnderTest>> make_sqlite_backend() {
  auto dir = TempDir::create("store");
  if (!dir)
    return dir.error();
  return std::unique_ptr<BackendUnderTest>(new SqliteBackend(std::move(*dir)));
}

BackendParam store_backend() { return BackendParam{"SQLite", make_sqlite_backend}; }

} // namespace mcf2b::testing
