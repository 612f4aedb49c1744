// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>

#include "base/result.h"
#include "protocol/protocol.h"

namespace mcf2b {

// Runs one control request against the state store directly, for mcf2b-ctl when the
// daemon is not running: the same jail logic as the daemon (a JailController restored
// from the store) decides, and the rows it changes are written to the store; the kernel
// maps and ipsets are left alone and catch up at the daemon's next start. `node` names
// this host in the rows it writes (empty: the host name).
Result<control::Response> execute_offline(const std::string &state_url,
                                          const control::Request &request,
                                          const std::string &node = {});

} // namespace mcf2b
