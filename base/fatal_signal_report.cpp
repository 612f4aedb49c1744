// SPDX-License-Identifier: GPL-2.0-only
#include "base/fatal_signal_report.h"

#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>

namespace mcf2b {
namespace {

const char *g_program = "mcf2b";

// Only async-signal-safe calls from here on: write(2) and plain memory.
void put(const char *text) {
  size_t left = std::strlen(text);
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, text, left);
    if (n <= 0)
      return;
    text += n;
    left -= static_cast<size_t>(n);
  }
}

void put_hex(uintptr_t value) {
  char digits[2 + 2 * sizeof value + 1];
  char *p = digits + sizeof digits - 1;
  *p = '\0';
  do {
    *--p = "0123456789abcdef"[value & 0xf];
    value >>= 4;
  } while (value != 0);
  *--p = 'x';
  *--p = '0';
  put(p);
}

const char *name_of(int sig) {
  switch (sig) {
  case SIGBUS: return "SIGBUS";
  case SIGSEGV: return "SIGSEGV";
  case SIGILL: return "SIGILL";
  default: return "SIGFPE";
  }
}

void on_fatal_signal(int sig, siginfo_t *info, void *) {
  put("<2>");
  put(g_program);
  put(": fatal signal ");
  put(name_of(sig));
  put(" at address ");
  put_hex(reinterpret_cast<uintptr_t>(info->si_addr));
  if (sig == SIGBUS)
    put(": a memory-mapped file could not be read or written (truncated, made immutable, or "
        "its file system full; for the state file see its -shm index)");
  put("; bans in force stay enforced by the pinned XDP program\n");
  // SA_RESETHAND put the default action back: returning re-runs the faulting
  // instruction, which now dumps core with the original signal.
}

} // namespace

void report_fatal_signals(const char *program) {
  g_program = program;
  struct sigaction action {};
  action.sa_sigaction = on_fatal_signal;
  action.sa_flags = SA_SIGINFO | SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGBUS, SIGSEGV, SIGILL, SIGFPE})
    ::sigaction(sig, &action, nullptr);
}

} // namespace mcf2b
