// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cerrno>

namespace mcf2b {

// Error::code values the store gives a meaning to.

// The database could not be reached (the server is down, the connection was lost mid-
// call). The write did not happen, or happened without an acknowledgement: JournalingStore
// journals exactly these and replays them idempotently.
inline constexpr int kStoreUnreachable = ENOTCONN;

// A transient conflict (a deadlock, a lock wait time-out, a busy SQLite file): the
// transaction was rolled back and may be retried.
inline constexpr int kStoreRetry = EAGAIN;

} // namespace mcf2b
