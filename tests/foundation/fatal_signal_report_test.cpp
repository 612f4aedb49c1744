// SPDX-License-Identifier: GPL-2.0-only
// A process killed by a fault says so in its log: the line names the signal and, for
// SIGBUS, the mapped file behind it; the process still dies of the original signal.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "base/fatal_signal_report.h"
#include "tests/fixtures/temp_dir.h"

using namespace mcf2b;

namespace {

TEST(FatalSignalReport, ASigbusFromATruncatedMappingIsLoggedBeforeTheProcessDies) {
  auto dir = mcf2b::testing::TempDir::create("fatal-signal");
  ASSERT_TRUE(dir.ok());
  const std::string file = dir->file("mapped");
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::dup2(pipe_fds[1], STDERR_FILENO);
    report_fatal_signals("probe");
    // The same fault as SQLite's index mapping once its file is cut short under it.
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ::ftruncate(fd, 4096) != 0)
      ::_exit(2);
    auto *page = static_cast<volatile char *>(
        ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    if (page == MAP_FAILED || ::ftruncate(fd, 0) != 0)
      ::_exit(3);
    page[0] = 1;
    ::_exit(4);
  }
  ::close(pipe_fds[1]);
  std::string output;
  char buffer[512];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0)
    output.append(buffer, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << status << ", output: " << output;
  EXPECT_EQ(WTERMSIG(status), SIGBUS);
  EXPECT_EQ(output.rfind("<2>probe: fatal signal SIGBUS at address 0x", 0), 0u) << output;
  EXPECT_NE(output.find("memory-mapped file"), std::string::npos) << output;
}

} // namespace
