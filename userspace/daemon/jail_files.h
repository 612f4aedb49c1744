// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "matcher/use_dns.h"
#include "userspace/controller/jail_controller.h"
#include "userspace/model/jail.h"
#include "userspace/model/jail_local_options.h"

namespace mcf2b {

// What the jail folder says, for admins who prefer files to commands.
struct JailImport {
  std::vector<JailConfig> jails;                             // new or changed jails
  std::vector<std::pair<std::string, IpPrefix>> whitelist;   // (jail, prefix) from ignoreip
  std::vector<Error> errors;                                 // "file:line: why", one per bad jail
  std::vector<std::string> files;                            // files read, in order
  // The usedns a jail's file sets (fail2ban's per-jail usedns), by jail name. The stored
  // jail row has no column for it, so it lives with the files: jails without one use
  // the daemon's [mcf2bd] usedns.
  std::map<std::string, matcher::UseDns> use_dns;
  // What the files say beyond the row (several log paths, the journal, actions, ...), by
  // jail name; a jail not named here reads its row's logpath.
  std::map<std::string, JailLocalOptions> local_options;
};

// Reads every *.conf then *.local file of `dir` (in name order, fail2ban's jail.d
// convention) in fail2ban's jail syntax: `[name]` sections with enabled, filter, logpath,
// port, maxretry, findtime, bantime (10m/1h/1d/1w/1mo/1y/-1), ignoreip, max_count,
// banaction, usedns, and a [DEFAULT] section whose keys apply to every jail of the file.
// A section named after a family root (`[mc-exim]`) sets enabled, logpath, port, filter,
// ignoreip and usedns on all of the family's existing jails. Jails not in `existing` are new
// (they need filter and logpath). A bad jail is reported with file and line and left
// out; it does not stop the others. A missing folder imports nothing.
JailImport import_jail_files(const std::string &dir, const std::vector<JailConfig> &existing);

// Takes what the files say into the controller, adding to `out` what the store must
// learn: a jail row only where the files change it (every start of every node rewriting
// every jail would make a whole cluster re-read its jails; a log path alone is this
// node's business and stays local), and each whitelist entry the jails do not have yet.
// A jail the controller refuses is reported and left as it was.
std::vector<Error> merge_jail_files(JailController &controller, const JailImport &imported,
                                    Decisions &out);

} // namespace mcf2b
