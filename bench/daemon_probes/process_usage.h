// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <string>

namespace mcf2b::bench {

// The process at the other end of a Unix stream socket (a daemon behind its control
// socket), from SO_PEERCRED; -1 when it cannot be reached.
int peer_pid(const std::string &socket_path);

// CPU seconds a process used, user + system, its reaped children (ipset, iptables
// spawned per change) included; 0 when it is gone.
double cpu_seconds(int pid);

// Resident memory of a process (VmRSS), in bytes; 0 when it is gone.
uint64_t rss_bytes(int pid);

} // namespace mcf2b::bench
