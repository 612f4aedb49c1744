// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>

#include "control/ctl_session.h"

namespace mcf2b::control {

// `mcf2b-ctl import-fail2ban --bans DBFILE`: the bans in force in fail2ban's database,
// carried over with their end and count (through the daemon, or into the store when it
// is not running).
void register_import_fail2ban(CLI::App &app, CtlSession &session);

} // namespace mcf2b::control
