// SPDX-License-Identifier: GPL-2.0-only
#include "tests/fixtures/mariadb_server.h"
#include "tests/store/backend_under_test.h"

namespace mcf2b::testing {
namespace {

constexpr const char *kDatabase = "mc_config";

class MariadbBackend final : public BackendUnderTest {
public:
  explicit MariadbBackend(MariadbServer server) : server_(std::move(server)) {}
  [[nodiscard]] std::string url() const override { return server_.url(kDatabase); }

  Status raw_exec(const std::string &sql) override {
    auto rows = raw_query(sql);
    return rows ? Status() : rows.error();
  }

  Result<Rows> raw_query(const std::string &sql) override {
    auto conn = server_.connect(kDatabase);
    if (!conn)
      return conn.error();
    // The store's sessions run in UTC; so do MailCleaner's timestamps in these tests.
    if (auto st = MariadbServer::query(conn->get(), "SET time_zone = '+00:00'"); !st)
      return st.error();
    if (mysql_real_query(conn->get(), sql.data(), sql.size()) != 0)
      return Error::msg(mysql_error(conn->get()));
    Rows rows;
    if (MYSQL_RES *res = mysql_store_result(conn->get())) {
      unsigned n = mysql_num_fields(res);
      while (MYSQL_ROW row = mysql_fetch_row(res)) {
        rows.emplace_back();
        for (unsigned i = 0; i < n; ++i)
          rows.back().emplace_back(row[i] ? row[i] : "NULL");
      }
      mysql_free_result(res);
    } else if (mysql_field_count(conn->get()) != 0) {
      return Error::msg(mysql_error(conn->get()));
    }
    return rows;
  }

  [[nodiscard]] std::vector<std::string> mailcleaner_original_schema() const override {
    // MailCleaner's install/dbs/t_cf_fail2ban_*.sql, as shipped.
    return {
        "CREATE TABLE fail2ban_jail (id int not NULL AUTO_INCREMENT,"
        " enabled BOOLEAN DEFAULT TRUE, name varchar(150) NOT NULL UNIQUE,"
        " maxretry int not NULL, findtime int not NULL, bantime int not NULL,"
        " port varchar(50) NOT NULL, filter varchar(50) NOT NULL,"
        " banaction varchar(50) NOT NULL, logpath varchar(250) NOT NULL,"
        " max_count int not NULL, send_mail BOOLEAN DEFAULT FALSE,"
        " send_mail_bl BOOLEAN DEFAULT TRUE, PRIMARY KEY (id))",
        "CREATE TABLE fail2ban_ips (id int not NULL AUTO_INCREMENT,"
        " ip varchar(150) NOT NULL, count int not NULL, active BOOLEAN,"
        " blacklisted BOOLEAN DEFAULT FALSE, whitelisted BOOLEAN DEFAULT FALSE,"
        " jail varchar(20) NOT NULL, last_hit TIMESTAMP DEFAULT NOW(),"
        " host varchar(150) NOT NULL, PRIMARY KEY (id))",
        "CREATE TABLE fail2ban_conf (id int not NULL AUTO_INCREMENT,"
        " src_email varchar(150) NOT NULL, src_name varchar(150) NOT NULL,"
        " dest_email varchar(150) NOT NULL, PRIMARY KEY (id))",
    };
  }

  MariadbServer &server() { return server_; }

private:
  MariadbServer server_;
};

} // namespace

static Result<std::unique_ptr<BackendUnderTest>> make_mariadb_backend() {
  auto server = MariadbServer::create();
  if (!server)
    return server.error();
  return std::unique_ptr<BackendUnderTest>(new MariadbBackend(std::move(*server)));
}

BackendParam store_backend() { return BackendParam{"MariaDB", make_mariadb_backend}; }

} // namespace mcf2b::testing
