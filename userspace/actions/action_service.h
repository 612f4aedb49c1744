// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "userspace/actions/action_definition.h"
#include "userspace/actions/action_events.h"
#include "userspace/actions/command_runner.h"

namespace mcf2b::actions {

struct ActionServiceOptions {
  ActionSearchPath search;
  bool run_firewall_actions = false; // [mcf2bd] run_firewall_actions
  size_t workers = 2;
  size_t queue_capacity = 4096; // commands waiting at most; beyond, dropped and counted
  size_t output_limit = 16 * 1024;
};

// What `status` says of one action of a jail.
struct ActionState {
  std::string action; // the actname
  enum class Mode { runs, replaced_by_enforcement, broken } mode = Mode::runs;
  std::string reason; // when broken: why it could not be loaded
};
std::string_view to_string(ActionState::Mode mode); // "runs", "replaced", "broken"

struct ActionCounters {
  uint64_t commands = 0; // commands run (started)
  uint64_t failures = 0; // non-zero exits, deaths by signal, start failures
  uint64_t timeouts = 0; // killed at their timeout
  uint64_t dropped = 0;  // jobs refused by the full queue
  std::map<std::string, uint64_t> failures_by_action; // timeouts included, by file name
};

// fail2ban's CommandAction for every action of every jail, run off the ban path: the
// daemon's calls only queue work for a bounded worker pool, one action's commands in
// order. Each command goes through expand_static and bind_dynamic_tags
// (tag_substitution.h), so no log byte is ever shell text. Firewall actions are
// replaced by mcf2b's enforcement unless run_firewall_actions is set.
class ActionService : public ActionEvents {
public:
  explicit ActionService(ActionServiceOptions options);
  ~ActionService() override; // stop() if not done

  // Loads the jail's action lines and queues the actionstart of each that runs. An
  // action that cannot be loaded is reported here and shown as broken by status().
  std::vector<Error> start_jail(const std::string &jail, const std::vector<std::string> &lines,
                                Seconds bantime);
  void banned(const BanEvent &event) override;
  void unbanned(const UnbanEvent &event) override;
  // actionflush (where bans were made) and actionstop of every action, then waits for
  // every queued command. Bans are not undone one by one: mcf2b's bans outlive the
  // daemon.
  void stop();

  [[nodiscard]] std::vector<ActionState> status(const std::string &jail) const;
  [[nodiscard]] ActionCounters counters() const;
  // Waits until every queued command has run (tests, shutdown).
  void drain();

  struct Instance;

private:
  void submit(const std::shared_ptr<Instance> &instance, std::function<void(Instance &)> work);

  ActionServiceOptions options_;
  mutable std::mutex mutex_; // jails_, counters_
  std::map<std::string, std::vector<std::shared_ptr<Instance>>> jails_;
  std::map<std::string, std::vector<ActionState>> states_;
  ActionCounters counters_;
  bool stopped_ = false;
  WorkerPool pool_; // last: its threads stop before the rest goes
};

} // namespace mcf2b::actions
