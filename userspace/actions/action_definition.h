// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include "userspace/model/firewall_actions.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/seconds.h"

namespace mcf2b::actions {

// How a jail names an action: "sendmail-whois-lines[name=sshd, dest=root]" (fail2ban's
// action line, %(...)s already resolved by whoever read the jail), parameters overriding
// the action file's [Init].
struct ActionCall {
  std::string file;                          // the action.d file's name, or a path
  std::map<std::string, std::string> params; // keys lower-cased
  static Result<ActionCall> parse(std::string_view text);
};

// Where action files are looked up by name, in order: [mcf2bd] action_dir, by default
// /etc/mcf2b/action.d then /etc/fail2ban/action.d.
struct ActionSearchPath {
  std::vector<std::string> dirs;
  static std::vector<std::string> default_dirs();
  [[nodiscard]] Result<std::string> locate(const std::string &file) const;
};

// The six operations mcf2b runs, named as in the action file.
enum class Operation { start, check, repair, ban, unban, flush, stop };
std::string_view operation_key(Operation op); // "actionstart", ...

// One action of one jail, loaded the way fail2ban's ActionReader loads it: [INCLUDES],
// [Definition], [Init] (and its [Init?family=inet6] variant), the call's parameters
// over [Init], "name" defaulting to the jail. Every %(...)s is resolved; <tags> are left
// for the tag substitution (their value may depend on the family and on the ban).
struct ActionDefinition {
  std::string file;    // as called ("sendmail-whois-lines")
  std::string actname; // unique within its jail, as fail2ban's actname
  std::string path;    // the file read
  // fail2ban's CommandAction properties: the [Definition] options, the [Init] options
  // and the call's parameters (these last win). Conditional variants are kept under
  // "option?family=inet6".
  std::map<std::string, std::string> properties;
  Seconds timeout = 60; // fail2ban's `timeout` option, per command
  // An action whose work mcf2b's enforcement does (a firewall or routing action).
  bool firewall = false;

  // The operation's command text before tag substitution; empty when it has none.
  [[nodiscard]] std::string command(Operation op) const;
  // Whether any property has a family condition (fail2ban then runs start per family).
  [[nodiscard]] bool has_family_conditions() const;
};


// Loads `call` for `jail`. Errors name the file, line and reason. The values spliced
// into command text unquoted (name, port, protocol) are checked here: an action whose
// jail name, port or protocol holds anything but letters, digits, spaces and , : . _ - / is
// refused, so that no such value can carry shell syntax.
Result<ActionDefinition> load_action(const ActionCall &call, const std::string &jail,
                                     const ActionSearchPath &search);

} // namespace mcf2b::actions
