// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>

#include "control/ctl_session.h"

namespace mcf2b::control {

// `mcf2b-ctl general enable|disable|enable-bl [-v N]|disable-bl`: every jail at once.
void register_general(CLI::App &app, CtlSession &session);

} // namespace mcf2b::control
