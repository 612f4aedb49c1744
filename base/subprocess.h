// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace mcf2b {

struct ProcessOutput {
  int exit_code = 0; // the exit status, or 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Runs a program with an argument vector, never through a shell, so no byte of the
// arguments or of the input is ever interpreted. The program is looked up in PATH.
// `input` is written to its standard input; its output and error are captured.
// Fails only when the program cannot be started; a non-zero exit is reported in
// exit_code.
Result<ProcessOutput> run_program(const std::vector<std::string> &argv,
                                  std::string_view input = {});

// As run_program, but a non-zero exit is an Error carrying the program's stderr.
Result<ProcessOutput> run_program_checked(const std::vector<std::string> &argv,
                                          std::string_view input = {});

// Whether a program can be found in PATH (or at the given path).
bool program_exists(const std::string &name);

} // namespace mcf2b

namespace mcf2b {

// A program running in the background (a database server, the daemon under test).
// Killed with SIGKILL and reaped when destroyed, unless it was waited for.
class ChildProcess {
public:
  ChildProcess() = default;
  // Starts argv (no shell) with stdin from /dev/null and stdout and stderr appended to
  // `log_path` (or inherited when empty).
  static Result<ChildProcess> spawn(const std::vector<std::string> &argv,
                                    const std::string &log_path = {});
  ~ChildProcess();
  ChildProcess(ChildProcess &&other) noexcept;
  ChildProcess &operator=(ChildProcess &&other) noexcept;
  ChildProcess(const ChildProcess &) = delete;
  ChildProcess &operator=(const ChildProcess &) = delete;

  [[nodiscard]] int pid() const { return pid_; }
  [[nodiscard]] bool running() const { return pid_ > 0; }
  // Whether it has exited already (reaps it if so); exit_code() then tells how.
  bool exited();
  [[nodiscard]] int exit_code() const { return exit_code_; }

  // Sends a signal; does not wait.
  Status signal(int sig);
  // Waits for the exit up to timeout_ms (-1: forever); returns the exit code
  // (128 + signal when killed), or an error on time-out.
  Result<int> wait(int timeout_ms = -1);
  // SIGTERM, then SIGKILL after grace_ms; always reaps.
  int stop(int grace_ms = 5000);

private:
  int pid_ = -1;
  int exit_code_ = -1;
};

} // namespace mcf2b
