// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>

#include "control/ctl_session.h"

namespace mcf2b::control {

// `mcf2b-ctl stats`: drops per jail, XDP verdicts and the daemon's counters.
void register_stats(CLI::App &app, CtlSession &session);

} // namespace mcf2b::control
