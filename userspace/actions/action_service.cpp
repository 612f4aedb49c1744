// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/actions/action_service.h"

#include <ctime>
#include <functional>

#include "base/log.h"
#include "userspace/actions/tag_substitution.h"

namespace mcf2b::actions {
namespace {

// One environment string stays far below the kernel's 128 KiB per string: the most
// recent lines that fit in 64 KiB.
constexpr size_t kMaxLogValue = 64 * 1024;

std::string joined(const std::vector<std::string> &lines) {
  std::string out;
  for (const auto &l : lines)
    out += (out.empty() ? "" : "\n") + l;
  if (out.size() > kMaxLogValue) {
    size_t from = out.size() - kMaxLogValue;
    size_t nl = out.find('\n', from);
    out.erase(0, nl == std::string::npos ? from : nl + 1);
  }
  return out;
}

std::string family_of(const IpPrefix &p) {
  return p.address().is_v4() ? "inet4" : "inet6";
}

// fail2ban's <ip-rev>: the PTR name's address part ("4.3.2.1.").
std::string reverse_of(const IpAddress &a) {
  std::string text = a.to_string(), out;
  if (a.is_v4()) {
    size_t end = text.size();
    while (end != 0) {
      size_t dot = text.rfind('.', end - 1);
      size_t start = dot == std::string::npos ? 0 : dot + 1;
      out += text.substr(start, end - start) + ".";
      if (dot == std::string::npos)
        break;
      end = dot;
    }
    return out;
  }
  // IPv6: every nibble, last first.
  const auto &bytes = a.bytes();
  static const char digits[] = "0123456789abcdef";
  for (size_t i = bytes.size(); i-- > 0;) {
    out += digits[bytes[i] & 0xf];
    out += '.';
    out += digits[bytes[i] >> 4];
    out += '.';
  }
  return out;
}

// A command's stderr, bounded and on one line, for the log.
std::string for_log(const std::string &text) {
  std::string out;
  for (char c : text.substr(0, 1024)) {
    if (c == '\n')
      out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += '?';
    else
      out += c;
  }
  if (text.size() > 1024)
    out += "...";
  return out;
}

} // namespace

std::string_view to_string(ActionState::Mode mode) {
  switch (mode) {
  case ActionState::Mode::runs:
    return "runs";
  case ActionState::Mode::replaced_by_enforcement:
    return "replaced";
  case ActionState::Mode::broken:
    return "broken";
  }
  return "";
}

// One action of one jail: fail2ban's CommandAction state (started families, executed
// commands). Touched only by its own jobs, which the pool runs one at a time.
struct ActionService::Instance {
  std::string jail;
  ActionDefinition def;
  Seconds jail_bantime = 0;
  std::map<std::string, int> started; // family -> 1 started, | 2 holds bans
  // Per operation, family -> the command text run (fail2ban's _operationExecuted).
  std::map<Operation, std::map<std::string, std::string>> executed;
  std::function<void(const std::string &, const ShellOutcome &)> count;
  size_t output_limit = 16 * 1024;

  [[nodiscard]] std::string label() const { return jail + "/" + def.actname; }

  [[nodiscard]] bool start_on_demand() const {
    auto it = def.properties.find("actionstart_on_demand");
    if (it != def.properties.end())
      return it->second == "true" || it->second == "1" || it->second == "yes";
    return def.has_family_conditions();
  }
  [[nodiscard]] std::vector<std::string> families() const {
    return def.has_family_conditions() ? std::vector<std::string>{"inet4", "inet6"}
                                       : std::vector<std::string>{""};
  }

  // The values of an operation without a ban (start, stop, flush, check): fail2ban's
  // ActionInfo of an empty ticket.
  TagValues empty_ticket(const std::string &family) const {
    TagValues v;
    v.checked = {{"ip", ""},
                 {"family", family},
                 {"time", std::to_string(::time(nullptr))},
                 {"failures", "0"},
                 {"bantime", std::to_string(jail_bantime)},
                 {"bancount", "0"},
                 {"restored", "0"}};
    v.from_logs = {{"matches", ""}, {"ipmatches", ""}, {"ipjailmatches", ""}};
    return v;
  }

  // Expands and runs one command; true on success (an empty command succeeds).
  bool run(Operation op, const std::string &family, const TagValues &values,
           std::string *ran = nullptr) {
    std::string command = def.command(op);
    if (command.empty())
      return true;
    auto expanded = expand_static(command, def.properties, family);
    if (!expanded) {
      log_error("action " + label() + " " + std::string(operation_key(op)) + ": " +
                expanded.error().message());
      count(def.file, ShellOutcome{});
      return false;
    }
    if (ran)
      *ran = *expanded;
    BoundCommand bound = bind_dynamic_tags(*expanded, values);
    ShellJob job{bound.script, bound.environment, def.timeout, output_limit};
    ShellOutcome outcome = run_shell_job(job);
    count(def.file, outcome);
    if (!outcome.ok())
      log_error("action " + label() + " " + std::string(operation_key(op)) + " failed (" +
                outcome.describe() + "): " + for_log(outcome.err));
    return outcome.ok();
  }

  // fail2ban's _executeOperation: the operation per family, a command already run for
  // another family (the same text for both) run once.
  bool operation(Operation op, const std::vector<std::string> &which,
                 const std::function<void(const std::string &, bool)> &after = {}) {
    bool ok = true;
    auto &done = executed[op];
    for (const auto &family : which) {
      auto cmd = expand_static(def.command(op), def.properties, family);
      bool duplicate = false;
      for (const auto &[f, text] : done)
        if (f != family && cmd && !cmd->empty() && text == *cmd)
          duplicate = true;
      bool result = duplicate || run(op, family, empty_ticket(family));
      if (after)
        after(family, result);
      if (result && cmd)
        done[family] = *cmd;
      else
        done.erase(family);
      ok = ok && result;
    }
    return ok;
  }

  bool start(const std::vector<std::string> &which) {
    return operation(Operation::start, which, [this](const std::string &family, bool ok) {
      if (ok) {
        executed[Operation::stop].erase(family);
        started[family] = 1;
      }
    });
  }

  void stop_families(const std::vector<std::string> &which) {
    for (const auto &family : which)
      started[family] = 0;
    operation(Operation::stop, which, [this](const std::string &family, bool ok) {
      if (ok)
        executed[Operation::start].erase(family);
    });
  }

  // fail2ban's _invariantCheck: 1 sane (or restored), 0 broken, -1 not to be repaired.
  int invariant_check(const std::string &family, bool repair) {
    if (run(Operation::check, family, empty_ticket(family)))
      return 1;
    if (!repair)
      return -1;
    log_error("action " + label() +
              ": invariant check failed, trying to restore a sane "
              "environment");
    if (!def.command(Operation::repair).empty()) {
      if (!run(Operation::repair, family, empty_ticket(family))) {
        started[family] = 0;
        log_error("action " + label() + ": unable to restore environment");
        return 0;
      }
      started[family] = 1;
    } else {
      stop_families({family});
      start({family});
    }
    if (started[family] && !run(Operation::check, family, empty_ticket(family))) {
      log_error("action " + label() + ": unable to restore environment");
      return 0;
    }
    return 1;
  }

  // fail2ban's _processCmd: the command; when it fails and the action has an
  // actioncheck, the check (and repair), then the command once more.
  bool process(Operation op, const std::string &family, const TagValues &values) {
    if (def.command(op).empty())
      return true;
    for (int attempt = 0;; ++attempt) {
      if (attempt && !def.command(Operation::check).empty()) {
        bool repair = op != Operation::unban || def.properties.count("actionrepair_on_unban");
        if (invariant_check(family, repair) != 1)
          return false;
      }
      // Without an actioncheck fail2ban simply runs the command a second time.
      bool ok = run(op, family, values);
      if (ok || attempt >= 1)
        return ok;
    }
  }
};

ActionService::ActionService(ActionServiceOptions options)
    : options_(std::move(options)), pool_(options_.workers, options_.queue_capacity) {}

ActionService::~ActionService() {
  stop();
}

void ActionService::submit(const std::shared_ptr<Instance> &instance,
                           std::function<void(Instance &)> work) {
  if (!pool_.submit(instance->label(), [instance, work = std::move(work)] { work(*instance); })) {
    std::lock_guard lock(mutex_);
    ++counters_.dropped;
    log_warning("action " + instance->label() + ": command queue full, dropped");
  }
}

std::vector<Error> ActionService::start_jail(const std::string &jail,
                                             const std::vector<std::string> &lines,
                                             Seconds bantime) {
  std::vector<Error> errors;
  std::vector<std::shared_ptr<Instance>> instances;
  std::vector<ActionState> states;
  for (const auto &line : lines) {
    auto call = ActionCall::parse(line);
    auto def =
        call ? load_action(*call, jail, options_.search) : Result<ActionDefinition>(call.error());
    if (!def) {
      errors.push_back(def.error().context("jail " + jail + ", action " + line));
      states.push_back({line, ActionState::Mode::broken, def.error().message()});
      continue;
    }
    if (def->firewall && !options_.run_firewall_actions) {
      states.push_back({def->actname, ActionState::Mode::replaced_by_enforcement, {}});
      continue;
    }
    auto inst = std::make_shared<Instance>();
    inst->jail = jail;
    inst->def = std::move(*def);
    inst->jail_bantime = bantime;
    inst->output_limit = options_.output_limit;
    inst->count = [this](const std::string &file, const ShellOutcome &o) {
      std::lock_guard lock(mutex_);
      if (o.kind != ShellOutcome::Kind::not_started || !o.start_error.empty())
        ++counters_.commands;
      if (o.kind == ShellOutcome::Kind::timed_out)
        ++counters_.timeouts;
      if (!o.ok()) {
        ++counters_.failures;
        ++counters_.failures_by_action[file];
      }
    };
    states.push_back({inst->def.actname, ActionState::Mode::runs, {}});
    instances.push_back(inst);
  }
  {
    std::lock_guard lock(mutex_);
    jails_[jail] = instances;
    states_[jail] = states;
  }
  for (const auto &inst : instances)
    submit(inst, [](Instance &i) {
      if (!i.start_on_demand())
        i.start(i.families());
    });
  return errors;
}

void ActionService::banned(const BanEvent &event) {
  std::vector<std::shared_ptr<Instance>> instances;
  {
    std::lock_guard lock(mutex_);
    if (stopped_)
      return;
    auto it = jails_.find(event.jail);
    if (it == jails_.end())
      return;
    instances = it->second;
  }
  TagValues values;
  const IpAddress &a = event.address.address();
  values.checked = {{"ip", event.address.is_host() ? a.to_string() : event.address.to_string()},
                    {"family", family_of(event.address)},
                    {"ip-rev", reverse_of(a)},
                    {"time", std::to_string(event.time)},
                    {"bantime", std::to_string(event.bantime)},
                    {"failures", std::to_string(event.failures)},
                    {"bancount", std::to_string(event.bancount)},
                    {"restored", event.restored ? "1" : "0"},
                    {"ipfailures", std::to_string(event.failures)},
                    {"ipjailfailures", std::to_string(event.failures)}};
  values.from_logs = {{"matches", joined(event.matches)},
                      {"ipmatches", joined(event.ipmatches)},
                      {"ipjailmatches", joined(event.ipjailmatches)}};
  if (auto fid = event.fields.find("fid"); fid != event.fields.end())
    values.from_logs["fid"] = fid->second;
  values.fields = event.fields;
  std::string family = family_of(event.address);
  for (const auto &inst : instances) {
    // fail2ban's norestored: a restored ban is not announced again.
    auto nr = inst->def.properties.find("norestored");
    if (event.restored && nr != inst->def.properties.end() && nr->second != "0" &&
        nr->second != "false" && !nr->second.empty())
      continue;
    submit(inst, [values, family](Instance &i) {
      if (i.start_on_demand() && !i.started[family])
        i.start({family});
      if (!i.process(Operation::ban, family, values))
        log_error("action " + i.label() + ": error banning " + values.checked.at("ip"));
      i.started[family] |= 3;
    });
  }
}

void ActionService::unbanned(const UnbanEvent &event) {
  std::vector<std::shared_ptr<Instance>> instances;
  {
    std::lock_guard lock(mutex_);
    if (stopped_)
      return;
    auto it = jails_.find(event.jail);
    if (it == jails_.end())
      return;
    instances = it->second;
  }
  const IpAddress &a = event.address.address();
  std::string family = family_of(event.address);
  TagValues values;
  values.checked = {{"ip", event.address.is_host() ? a.to_string() : event.address.to_string()},
                    {"family", family},
                    {"ip-rev", reverse_of(a)},
                    {"time", std::to_string(event.time)},
                    {"bantime", std::to_string(event.bantime)},
                    {"failures", "0"},
                    {"restored", "0"}};
  values.from_logs = {{"matches", ""}, {"ipmatches", ""}, {"ipjailmatches", ""}};
  for (const auto &inst : instances)
    submit(inst, [values, family](Instance &i) {
      // fail2ban: only an action that banned in this family since its start unbans.
      if (!(i.started[family] & 2))
        return;
      if (!i.process(Operation::unban, family, values))
        log_error("action " + i.label() + ": error unbanning " + values.checked.at("ip"));
    });
}

void ActionService::stop() {
  std::map<std::string, std::vector<std::shared_ptr<Instance>>> jails;
  {
    std::lock_guard lock(mutex_);
    if (stopped_)
      return;
    stopped_ = true;
    jails = jails_;
  }
  for (const auto &[jail, instances] : jails)
    for (const auto &inst : instances)
      submit(inst, [](Instance &i) {
        std::vector<std::string> with_bans, running;
        for (const auto &[family, flags] : i.started) {
          if ((flags & 3) == 3)
            with_bans.push_back(family);
          if (flags)
            running.push_back(family);
        }
        i.operation(Operation::flush, with_bans, [&i](const std::string &family, bool ok) {
          if (ok)
            i.started[family] &= ~2;
        });
        i.stop_families(running);
      });
  pool_.drain();
}

void ActionService::drain() {
  pool_.drain();
}

std::vector<ActionState> ActionService::status(const std::string &jail) const {
  std::lock_guard lock(mutex_);
  auto it = states_.find(jail);
  return it == states_.end() ? std::vector<ActionState>{} : it->second;
}

ActionCounters ActionService::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

} // namespace mcf2b::actions
