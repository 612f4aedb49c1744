// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>

#include "control/ctl_session.h"

namespace mcf2b::control {

// `mcf2b-ctl jail enable|disable|change|add|remove|list`: the fail2ban_jail rows,
// replacing MailCleaner's raw SQL INSERT for custom jails.
void register_jail(CLI::App &app, CtlSession &session);

} // namespace mcf2b::control
