// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/daemon_actions.h"

#include <ctime>
#include <set>

#include "base/log.h"

namespace mcf2b {
namespace {

actions::ActionServiceOptions service_options(const DaemonConfig &config) {
  actions::ActionServiceOptions o;
  o.search.dirs = config.action_dirs;
  o.run_firewall_actions = config.run_firewall_actions;
  return o;
}

} // namespace

DaemonActions::DaemonActions(const DaemonConfig &config, const JailController &controller,
                             const std::map<std::string, JailLocalOptions> &local_options)
    : controller_(controller), service_(service_options(config)) {
  for (const auto &jail : controller.jails()) {
    auto it = local_options.find(jail.name);
    if (!jail.enabled || it == local_options.end() || it->second.actions.empty())
      continue;
    any_actions_ = true;
    for (const auto &e : service_.start_jail(jail.name, it->second.actions, jail.bantime))
      log_error(e.message());
    for (const auto &state : service_.status(jail.name))
      if (state.mode == actions::ActionState::Mode::replaced_by_enforcement)
        log_info("jail " + jail.name + ": action " + state.action +
                 " replaced by mcf2b's enforcement (run_firewall_actions = no)");
  }
}

void DaemonActions::matched_line(JailFamilyId family, const IpPrefix &address,
                                 const matcher::Match &match) {
  // Kept for the actions' <matches> and <F-*> only: with no action, a failure line
  // costs nothing here (copying each line and its fields was a tenth of the CPU of
  // lines appended in small writes).
  if (!any_actions_)
    return;
  // fail2ban's matches are the lines without their line ends.
  std::string_view line = match.line_text;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  // The captures an action can name as <F-NAME> (fail2ban's ticket data), not the
  // matcher's own bookkeeping groups.
  std::map<std::string, std::string> fields;
  if (match.fields && match.field_names)
    match.fields->for_each([&](matcher::FieldId id, std::string_view value) {
      static const std::set<std::string> internal{"content",    "mlfid",  "ip4",       "ip6",
                                                  "dns",        "nofail", "mlfgained", "mlfforget",
                                                  "mlfpending", "cidr"};
      const std::string &name = match.field_names->name(id);
      if (!internal.count(name))
        fields.emplace(name, std::string(value));
    });
  recent_.record(address, family, match.time, line, std::move(fields));
}

void DaemonActions::decided(const Decisions &decisions) {
  for (const auto &b : decisions.bans) {
    actions::BanEvent e;
    e.jail = b.jail;
    e.address = b.prefix;
    e.time = b.start;
    e.bantime = b.permanent() ? -1 : b.end - b.start;
    e.bancount = static_cast<uint32_t>(b.count);
    const JailConfig *jail = controller_.jail(b.jail);
    if (auto family = controller_.family(b.jail); family) {
      for (const auto &l : recent_.of_family(b.prefix, *family)) {
        e.matches.push_back(l.text);
        // fail2ban's failures: those of the window that led to the ban.
        if (!jail || l.time > b.start - jail->findtime)
          ++e.failures;
        for (const auto &[name, value] : l.fields)
          e.fields[name] = value; // a later line's capture wins, as in fail2ban's ticket
      }
    }
    e.ipjailmatches = e.matches;
    for (const auto &l : recent_.of_address(b.prefix))
      e.ipmatches.push_back(l.text);
    service_.banned(e);
  }
  for (const auto &u : decisions.unbans) {
    actions::UnbanEvent e;
    e.jail = u.jail;
    e.address = u.prefix;
    e.time = ::time(nullptr);
    if (const JailConfig *jail = controller_.jail(u.jail))
      e.bantime = jail->bantime;
    service_.unbanned(e);
  }
}

} // namespace mcf2b
