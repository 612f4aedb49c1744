// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/seconds.h"

namespace mcf2b {

// What a jail file (mcf2b's jail folder or an existing fail2ban tree) says about a jail
// beyond the stored row (mc_config.fail2ban_jail has no column for any of it). These
// options are this node's: they are never stored or replicated, and a jail without them
// reads its row's single logpath and only enforces its bans.
struct JailLocalOptions {
  // fail2ban's logpath: every line a file or a glob pattern (a file that appears later
  // is picked up). Empty: the row's logpath.
  std::vector<std::string> logpaths;

  // fail2ban's backend. `auto_detect` follows the files when one exists, else the
  // journal when the filter or jail has a journalmatch.
  enum class Backend { file, auto_detect, systemd };
  Backend backend = Backend::file;
  // The jail's journalmatch (overrides the filter's): fail2ban's syntax, terms
  // "FIELD=value" separated by spaces, alternatives by "+".
  std::string journal_match;
  // systemd[journalpath=..., journalfiles=..., journalflags=...] parameters.
  std::map<std::string, std::string> journal_options;

  // Filter options fail2ban takes from the jail section (failregex, ignoreregex,
  // prefregex, datepattern, maxlines), given to the jail's filter as parameters where its
  // filter line does not set the same one.
  std::map<std::string, std::string> filter_options;

  // fail2ban's action lines, each "name[param=value, ...]" with every %(...)s resolved.
  std::vector<std::string> actions;

  // fail2ban's bantime.* escalation; unset: the jail's own bantime every time.
  struct BantimeIncrement {
    double factor = 1;
    std::vector<Seconds> multipliers; // bantime.multipliers; empty: formula
    std::string formula;              // bantime.formula (fail2ban's default when empty)
    Seconds maxtime = 0;              // 0: no limit
    Seconds rndtime = 0;
    bool overall_jails = false;
    bool operator==(const BantimeIncrement &) const = default;
  };
  std::optional<BantimeIncrement> increment;

  int maxmatches = 0;      // matched lines kept per address for actions and mails; 0: maxretry
  bool ignore_self = true; // fail2ban's ignoreself

  bool operator==(const JailLocalOptions &) const = default;
};

} // namespace mcf2b
