// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "control/protocol/protocol.h"
#include "userspace/controller/jail_controller.h"
#include "userspace/daemon/decision_sink.h"
#include "userspace/store/state_store.h"

namespace mcf2b {

struct CommandContext {
  std::string node;
  std::string version;
  // The daemon's counters for `stats` (null offline: only the store's view is known).
  std::function<nlohmann::json()> stats;
};

// Carries out the control protocol's commands (control/protocol/COMMANDS.md): asks the
// jail logic for decisions, hands them to the sink (which enforces and persists them
// before the answer goes out) and shapes the answer. The daemon and mcf2b-ctl's offline
// mode share it, so a command means the same with or without a running daemon.
class CommandHandler {
public:
  CommandHandler(JailController &controller, StateStore &store, DecisionSink &sink,
                 CommandContext context);

  control::Response handle(const control::Request &request);

private:
  using Handler = control::Response (CommandHandler::*)(const nlohmann::json &args);
  control::Response ping(const nlohmann::json &args);
  control::Response status(const nlohmann::json &args);
  control::Response ban(const nlohmann::json &args);
  control::Response unban(const nlohmann::json &args);
  control::Response jail_enable(const nlohmann::json &args);
  control::Response jail_disable(const nlohmann::json &args);
  control::Response jail_change(const nlohmann::json &args);
  control::Response jail_add(const nlohmann::json &args);
  control::Response jail_remove(const nlohmann::json &args);
  control::Response jail_list(const nlohmann::json &args);
  control::Response general_enable(const nlohmann::json &args);
  control::Response general_disable(const nlohmann::json &args);
  control::Response general_enable_bl(const nlohmann::json &args);
  control::Response general_disable_bl(const nlohmann::json &args);
  control::Response blacklist_enable(const nlohmann::json &args);
  control::Response blacklist_disable(const nlohmann::json &args);
  control::Response blacklist_add(const nlohmann::json &args);
  control::Response blacklist_remove(const nlohmann::json &args);
  control::Response blacklist_list(const nlohmann::json &args);
  control::Response whitelist_add(const nlohmann::json &args);
  control::Response whitelist_remove(const nlohmann::json &args);
  control::Response whitelist_list(const nlohmann::json &args);
  control::Response list(const nlohmann::json &args);
  control::Response stats(const nlohmann::json &args);

  // Applies decisions through the sink; the answer when that failed.
  std::optional<control::Response> commit(const Decisions &d);
  control::Response changed_jails(const Decisions &d);
  nlohmann::json jail_status(const std::string &jail) const;
  Result<std::vector<std::string>> resolve(const nlohmann::json &args) const;

  JailController &controller_;
  StateStore &store_;
  DecisionSink &sink_;
  CommandContext context_;
};

} // namespace mcf2b
