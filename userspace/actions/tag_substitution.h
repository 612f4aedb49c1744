// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace mcf2b::actions {

// fail2ban's two stages of tag substitution, with one change that is the point of this
// file: no byte that came from a log line ever becomes shell text.
//
// Stage 1, expand_static (fail2ban's CommandAction.replaceTag): the action's own
// properties (action file, [Init], the jail's call parameters: admin text) replace
// their <tags> recursively, "tag?family=inet6" before "tag", then <br>, <sp>,
// <fq-hostname>, <sh-hostname>. Tags that name no property are left for stage 2.
//
// Stage 2, bind_dynamic_tags (fail2ban's replaceDynamicTags): the values of one event.
//  - `checked` values are spliced into the text: the address (formatted by IpAddress),
//    the family, times and counts (digits). Whoever fills them guarantees their form;
//    bind_dynamic_tags refuses (leaves unbound and reports) a checked value holding
//    anything outside [A-Za-z0-9.:/_-].
//  - `from_logs` values (matches, ipmatches, ipjailmatches, ip-host, fid...) and every
//    <F-NAME> field are never spliced: the tag becomes a reference to an environment
//    variable (MCF2B_MATCHES, MCF2B_F_USER) written for the quoting context the tag is
//    in, so that the shell expands it once as data and never parses it:
//      unquoted, in $(...) or `...`   "${MCF2B_X}"
//      inside "..."                   ${MCF2B_X}
//      inside '...'                   '"${MCF2B_X}"'   (the quote is closed around it)
//      inside $'...'                  '"${MCF2B_X}"$'
//    fail2ban instead splices such a value when it holds no shell character and
//    otherwise references it unquoted ($f2bV_matches, subject to word splitting and
//    globbing, and never expanded inside single quotes); here the value always arrives
//    as exactly one word, whole, in every context.
struct TagValues {
  std::map<std::string, std::string> checked;
  std::map<std::string, std::string> from_logs;
  std::map<std::string, std::string> fields; // F-* by fail2ban's key: "user", "fid"...
};

struct BoundCommand {
  std::string script;                                           // for /bin/sh -c
  std::vector<std::pair<std::string, std::string>> environment; // added to the process's
};

// `properties` as ActionDefinition::properties; `family` "inet4", "inet6" or "".
Result<std::string> expand_static(const std::string &command,
                                  const std::map<std::string, std::string> &properties,
                                  std::string_view family);

BoundCommand bind_dynamic_tags(const std::string &expanded, const TagValues &values);

// The environment variable a log-derived tag is bound to: MCF2B_ + the tag upper-cased
// with every other character than a letter or a digit as '_' ("F-USER" -> MCF2B_F_USER).
std::string environment_name(std::string_view tag);

// This host's names, as fail2ban's <fq-hostname> and <sh-hostname>.
std::string fq_hostname();
std::string short_hostname();

} // namespace mcf2b::actions
