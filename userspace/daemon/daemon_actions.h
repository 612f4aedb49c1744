// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "matcher/failure.h"
#include "userspace/actions/action_service.h"
#include "userspace/controller/jail_controller.h"
#include "userspace/controller/recent_matches.h"
#include "userspace/daemon/daemon_config.h"
#include "userspace/model/jail_local_options.h"

namespace mcf2b {

// The daemon's one door to fail2ban's action.d: it is told the matched lines and the
// decisions this node makes, and hands the action service ban events carrying the
// lines kept for each address. Bans replicated from other nodes are not told (their
// node ran its actions), nor are the bans restored at start (fail2ban's norestored).
class DaemonActions {
public:
  DaemonActions(const DaemonConfig &config, const JailController &controller,
                const std::map<std::string, JailLocalOptions> &local_options);

  void matched_line(JailFamilyId family, const IpPrefix &address, const matcher::Match &match);
  void decided(const Decisions &decisions);
  // actionflush and actionstop, waiting for every queued command.
  void stop() { service_.stop(); }

  [[nodiscard]] std::vector<actions::ActionState> status(const std::string &jail) const {
    return service_.status(jail);
  }
  [[nodiscard]] actions::ActionCounters counters() const { return service_.counters(); }

private:
  const JailController &controller_;
  RecentMatches recent_;
  bool any_actions_ = false; // some jail has actions: matched lines are kept for them
  actions::ActionService service_;
};

} // namespace mcf2b
