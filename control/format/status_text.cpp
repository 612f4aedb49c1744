// SPDX-License-Identifier: GPL-2.0-only
#include "control/format/status_text.h"

namespace mcf2b::control {
namespace {

std::string join(const std::vector<std::string> &items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out += separator;
    out += items[i];
  }
  return out;
}

// One branch of a tree: "|-" before a sibling follows, "`-" for the last one; what
// hangs below it is indented by "|  " or by three blanks.
const char *branch(bool last) {
  return last ? "`-" : "|-";
}
const char *indent(bool last) {
  return last ? "   " : "|  ";
}

// The two-level body shared by `status JAIL` and `status --all`, each line prefixed.
void append_jail_tree(std::string &out, const JailStatus &s, const std::string &prefix) {
  struct Entry {
    const char *label;
    std::string value;
  };
  const struct {
    const char *title;
    std::vector<Entry> entries;
  } sections[] = {
      {"Filter",
       {{"Currently failed", std::to_string(s.currently_failed)},
        {"Total failed", std::to_string(s.total_failed)},
        {"File list", join(s.file_list, " ")}}},
      {"Actions",
       {{"Currently banned", std::to_string(s.currently_banned)},
        {"Total banned", std::to_string(s.total_banned)},
        {"Banned IP list", join(s.banned, " ")}}},
  };
  if (!s.broken.empty())
    out += prefix + "|- Broken: " + s.broken + "\n";
  // action.d actions (mcf2b's addition to fail2ban's layout, only when the jail has any).
  for (const auto &a : s.actions)
    out += prefix + "|- Action " + a.action + ": " +
           (a.mode == "replaced" ? std::string("replaced by mcf2b's enforcement")
                                 : a.reason.empty() ? a.mode : a.mode + " (" + a.reason + ")") +
           "\n";
  for (size_t n = 0; n < std::size(sections); ++n) {
    bool last_section = n + 1 == std::size(sections);
    out += prefix + branch(last_section) + " " + sections[n].title + "\n";
    const auto &entries = sections[n].entries;
    for (size_t m = 0; m < entries.size(); ++m)
      out += prefix + indent(last_section) + branch(m + 1 == entries.size()) + " " +
             entries[m].label + ":\t" + entries[m].value + "\n";
  }
}

} // namespace

std::string format_status_summary(const std::vector<std::string> &jail_names) {
  return "Status\n|- Number of jail:\t" + std::to_string(jail_names.size()) + "\n`- Jail list:\t" +
         join(jail_names, ", ") + "\n";
}

std::string format_jail_status(const JailStatus &status) {
  std::string out = "Status for the jail: " + status.name + "\n";
  append_jail_tree(out, status, "");
  return out;
}

std::string format_status_all(const std::vector<JailStatus> &statuses) {
  std::vector<std::string> names;
  for (const auto &s : statuses)
    names.push_back(s.name);
  if (statuses.empty())
    return format_status_summary(names);
  std::string out = "Status\n|- Number of jail:\t" + std::to_string(names.size()) +
                    "\n|- Jail list:\t" + join(names, ", ") + "\n`- Status for the jails:\n";
  for (size_t i = 0; i < statuses.size(); ++i) {
    bool last = i + 1 == statuses.size();
    out += std::string("   ") + branch(last) + " Jail: " + statuses[i].name + "\n";
    append_jail_tree(out, statuses[i], std::string("   ") + indent(last));
  }
  return out;
}

} // namespace mcf2b::control
