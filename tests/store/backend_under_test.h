// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "tests/fixtures/requirements.h"
#include "userspace/store/state_store.h"

namespace mcf2b::testing {

using Rows = std::vector<std::vector<std::string>>;

// A database the shared store suites run against: a SQLite file in a temp folder, or a
// private MariaDB server. Raw access stands for MailCleaner's own tools, which read and
// write the tables directly.
class BackendUnderTest {
public:
  virtual ~BackendUnderTest() = default;
  [[nodiscard]] virtual std::string url() const = 0;
  virtual Status raw_exec(const std::string &sql) = 0;
  virtual Result<Rows> raw_query(const std::string &sql) = 0;
  // MailCleaner's original CREATE TABLE statements for fail2ban_jail, fail2ban_ips and
  // fail2ban_conf, in this back end's dialect.
  [[nodiscard]] virtual std::vector<std::string> mailcleaner_original_schema() const = 0;

  Result<std::unique_ptr<StateStore>> open(const std::string &node) {
    return open_store(url(), StoreOptions{.node = node, .journal_path = {}});
  }
};

struct BackendParam {
  std::string name;
  std::function<Result<std::unique_ptr<BackendUnderTest>>()> make;
};

inline void PrintTo(const BackendParam &p, std::ostream *os) { *os << p.name; }

inline std::string backend_name(const ::testing::TestParamInfo<BackendParam> &info) {
  return info.param.name;
}

// Base of the parameterised suites: a fresh database per test.
class StoreTest : public ::testing::TestWithParam<BackendParam> {
protected:
  void SetUp() override {
    auto b = GetParam().make();
    ASSERT_TRUE(ok(b));
    backend_ = std::move(*b);
  }
  // Opens a store on the test's database; fails the test (and returns null) on error.
  std::unique_ptr<StateStore> open(const std::string &node = "node-a") {
    auto s = backend_->open(node);
    EXPECT_TRUE(ok(s));
    return s ? std::move(*s) : nullptr;
  }
  std::string raw_single(const std::string &sql) {
    auto rows = backend_->raw_query(sql);
    EXPECT_TRUE(ok(rows));
    if (!rows || rows->empty() || rows->front().empty())
      return "<no row>";
    return rows->front().front();
  }

  std::unique_ptr<BackendUnderTest> backend_;
};

// The back end of this test executable: sqlite_backend.cpp or mariadb_backend.cpp.
BackendParam store_backend();

} // namespace mcf2b::testing
