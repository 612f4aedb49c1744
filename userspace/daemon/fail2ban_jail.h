// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "matcher/filter_definition.h"
#include "matcher/host_name_resolver.h"
#include "matcher/use_dns.h"
#include "userspace/daemon/fail2ban_action.h"
#include "userspace/daemon/fail2ban_tree.h"
#include "userspace/daemon/jail_files.h"
#include "userspace/model/jail.h"
#include "userspace/model/jail_local_options.h"

namespace mcf2b {

struct Fail2banJailOptions {
  // Where the jails' filters are looked up by name (the daemon's filter folders, the
  // tree's filter.d among them).
  matcher::FilterSearchPath filters;
  // Resolves the host names of ignoreip at load; unset: the system's resolver.
  matcher::NameLookup resolve;
  Fail2banTreeLimits limits;
};

// One enabled jail of a fail2ban tree, as mcf2b takes it.
struct Fail2banJail {
  JailConfig config;      // the row: maxretry, findtime, bantime, ports, filter, first log path
  JailLocalOptions local; // log paths, backend, journal match, actions, increment, ...
  std::vector<IpPrefix> ignoreip;
  std::optional<matcher::UseDns> use_dns;
  // The filter as loaded (its failregexes), for reports and tests.
  matcher::FilterDefinition filter;
  // Which actions mcf2b's enforcement carries out and which are kept for the action
  // runner, for the start log.
  std::string actions_note;
};

// Whether fail2ban would start the jail of section `name` (enabled = true/yes/on/1).
Result<bool> fail2ban_jail_enabled(const Fail2banTree &tree, const std::string &name,
                                   std::vector<std::string> &warnings);

// Reads the section `name` of the tree the way fail2ban's JailReader does: its filter
// (name[params], the jail's backend choosing the filter's logtype) loaded and checked,
// logpath lines (globs kept; the row holds the first file), backend and journalmatch,
// maxretry, maxmatches, findtime and bantime in fail2ban's time syntax, bantime.*,
// ignoreip (host names resolved now, with a warning) and ignoreself, usedns, and every
// action line with its %(...)s resolved; the jail's ports are the port parameter of its
// firewall action (iptables*, nftables*, firewallcmd*, ... or its banaction). A key that
// neither fail2ban nor any value of the tree uses, or one mcf2b does not apply, is a
// warning ("file:line: ..."); a value fail2ban would refuse is the error, with file and
// line.
Result<Fail2banJail> read_fail2ban_jail(const Fail2banTree &tree, const std::string &name,
                                        const Fail2banJailOptions &options,
                                        std::vector<std::string> &warnings);

struct Fail2banImport {
  JailImport jails; // what the daemon merges, as it merges its own jail folder
  std::vector<std::string> warnings;
  std::vector<std::string> notes;    // one per enabled jail: its actions_note
  std::vector<Fail2banJail> enabled; // each enabled jail read, in the tree's order
};

// Every jail of the fail2ban tree at `dir`: the enabled ones read, a jail that fails
// reported (file:line) and left out. A disabled jail that `existing` has enabled is
// returned disabled, so turning it off in the tree turns it off in mcf2b.
Fail2banImport import_fail2ban_tree(const std::string &dir, const std::vector<JailConfig> &existing,
                                    const Fail2banJailOptions &options);

// The daemon's filter folders with the tree's filter.d added: after mcf2b's own folders
// (a name mcf2b ships, such as sshd, stays mcf2b's), before the stock
// /etc/fail2ban/filter.d where that is listed, else last.
std::vector<std::string> filter_dirs_with_tree(std::vector<std::string> dirs,
                                               const std::string &fail2ban_dir);

} // namespace mcf2b
