// SPDX-License-Identifier: GPL-2.0-only
#pragma once

namespace mcf2b {

// On a fatal fault (SIGBUS, SIGSEGV, SIGILL, SIGFPE) writes one line to stderr, in the
// log's format, naming the signal, the address and for SIGBUS the usual cause, then lets
// the default action (a core dump) happen. Without it a daemon killed by a fault leaves
// nothing in its log.
void report_fatal_signals(const char *program);

} // namespace mcf2b
