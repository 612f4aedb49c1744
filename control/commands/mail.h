// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>

#include "control/ctl_session.h"

namespace mcf2b::control {

// MailCleaner's ban-mail commands: `mcf2b-ctl mail dest -e ADDRESS`, `mail src -e
// ADDRESS`, `mail name -n NAME`, `mail modify --send|--no-send`, `mail show`, and
// `jail modify-mail -j JAIL --send|--no-send` (added to the `jail` group, which must be
// registered first).
void register_mail(CLI::App &app, CtlSession &session);

} // namespace mcf2b::control
