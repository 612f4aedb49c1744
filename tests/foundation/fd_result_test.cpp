// SPDX-License-Identifier: GPL-2.0-only
#include <fcntl.h>
#include <gtest/gtest.h>

#include "base/fd.h"
#include "base/result.h"

using mcf2b::Error;
using mcf2b::Fd;
using mcf2b::Result;
using mcf2b::Status;

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(Fd, ClosesExactlyOnceAndMoves) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    Fd a(raw);
    Fd b(std::move(a));
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), raw);
    Fd c;
    c = std::move(b);
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(Fd, ReleaseGivesUpOwnership) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  {
    Fd a(raw);
    EXPECT_EQ(a.release(), raw);
  }
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

Result<int> parse_positive(int v) {
  if (v <= 0)
    return Error::msg("not positive");
  return v;
}

TEST(Result, CarriesValueOrError) {
  auto good = parse_positive(3);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "not positive");
  EXPECT_EQ(bad.value_or(7), 7);
  EXPECT_THROW((void)bad.value(), std::logic_error);
}

TEST(Result, ErrorCarriesErrnoAndContext) {
  errno = ENOENT;
  Status st = Error::sys("open /nonexistent");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ENOENT);
  EXPECT_EQ(st.error().message(), "open /nonexistent: No such file or directory");
  EXPECT_EQ(st.error().context("load config").message(),
            "load config: open /nonexistent: No such file or directory");
}

} // namespace
