// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/stats.h"

#include "control/format/stats_text.h"

namespace mcf2b::control {

void register_stats(CLI::App &app, CtlSession &session) {
  CLI::App *cmd = app.add_subcommand(
      "stats", "Packets dropped per jail, XDP verdicts and the daemon's counters");
  session.add_json_flag(*cmd);
  cmd->footer("Examples:\n  mcf2b-ctl stats\n  mcf2b-ctl stats --json | jq '.xdp.dropped'");
  cmd->callback([&session] {
    if (auto result = session.call<StatsCommand>({}))
      session.print(format_stats(*result));
  });
}

} // namespace mcf2b::control
