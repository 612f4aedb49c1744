// SPDX-License-Identifier: GPL-2.0-only
#include "control/fail2ban/tree_report.h"

#include "control/format/time_text.h"
#include "userspace/controller/ban_escalation.h"

namespace mcf2b::control {
namespace {

std::string backend_name(JailLocalOptions::Backend b) {
  switch (b) {
  case JailLocalOptions::Backend::file:
    return "files";
  case JailLocalOptions::Backend::auto_detect:
    return "auto";
  case JailLocalOptions::Backend::systemd:
    return "systemd";
  }
  return "files";
}

std::string joined(const std::vector<std::string> &items, const std::string &separator) {
  std::string out;
  for (const auto &i : items)
    out += (out.empty() ? "" : separator) + i;
  return out;
}

// The escalation the jail gets in mcf2b, in words; "" when it has none.
std::string escalation_text(const Fail2banJail &j, std::string *refusal) {
  if (!j.local.increment)
    return "";
  const auto &inc = *j.local.increment;
  if (auto e = BanEscalation::from(inc); !e) {
    *refusal = e.error().message();
    return "";
  }
  std::string text = "bantime.increment: ";
  if (!inc.multipliers.empty()) {
    std::vector<std::string> m;
    for (Seconds v : inc.multipliers)
      m.push_back(std::to_string(v));
    text += "multipliers " + joined(m, " ");
  } else {
    text += "formula " + (inc.formula.empty() ? std::string(BanFormula::kDefault) : inc.formula);
  }
  char factor[32];
  std::snprintf(factor, sizeof factor, "%g", inc.factor);
  text += ", factor " + std::string(factor);
  if (inc.maxtime > 0)
    text += ", maxtime " + format_duration(inc.maxtime);
  if (inc.rndtime > 0)
    text += ", rndtime " + format_duration(inc.rndtime);
  if (inc.overall_jails)
    text += ", over all jails";
  return text;
}

std::string sources_text(const Fail2banJail &j) {
  std::string files = joined(j.local.logpaths.empty() ? std::vector<std::string>{j.config.logpath}
                                                      : j.local.logpaths,
                             ", ");
  std::string match =
      !j.local.journal_match.empty() ? j.local.journal_match : j.filter.journalmatch;
  switch (j.local.backend) {
  case JailLocalOptions::Backend::systemd:
    return "journal" + (match.empty() ? std::string() : " matching " + match);
  case JailLocalOptions::Backend::auto_detect:
    return files + (match.empty() ? "" : " (else the journal matching " + match + ")");
  case JailLocalOptions::Backend::file:
    break;
  }
  return files;
}

} // namespace

std::string fail2ban_tree_text(const Fail2banImport &tree, const std::string &dir) {
  std::string out = "fail2ban tree " + dir + ": " + std::to_string(tree.enabled.size()) +
                    " enabled jail(s) from " + std::to_string(tree.jails.files.size()) +
                    " file(s)\n";
  for (const auto &j : tree.enabled) {
    const JailConfig &c = j.config;
    std::string refusal;
    std::string escalation = escalation_text(j, &refusal);
    out += "\n[" + c.name + "]" + (c.enabled ? "" : " (disabled)") + "\n";
    out += "  filter:    " + c.filter + " (" + std::to_string(j.filter.failregex.size()) +
           " failregex)\n";
    out += "  reads:     " + sources_text(j) + "\n";
    out += "  ports:     " + (c.port.empty() ? std::string("all") : c.port) + "\n";
    out += "  maxretry " + std::to_string(c.maxretry) + ", findtime " +
           format_duration(c.findtime) + ", bantime " + format_duration(c.bantime) + "\n";
    if (!escalation.empty())
      out += "  escalates: " + escalation + "\n";
    if (!refusal.empty())
      out += "  not supported: " + refusal + "; the jail keeps its bantime\n";
    if (!j.actions_note.empty())
      out += "  actions:   " + j.actions_note + "\n";
  }
  if (!tree.warnings.empty()) {
    out += "\nnot supported or ignored:\n";
    for (const auto &w : tree.warnings)
      out += "  " + w + "\n";
  }
  if (!tree.jails.errors.empty()) {
    out += "\nrefused (left out):\n";
    for (const auto &e : tree.jails.errors)
      out += "  " + e.message() + "\n";
  }
  return out;
}

nlohmann::json fail2ban_tree_json(const Fail2banImport &tree, const std::string &dir) {
  nlohmann::json jails = nlohmann::json::array();
  for (const auto &j : tree.enabled) {
    const JailConfig &c = j.config;
    std::string refusal;
    std::string escalation = escalation_text(j, &refusal);
    std::vector<std::string> regexes;
    for (const auto &r : j.filter.failregex)
      regexes.push_back(r.text);
    nlohmann::json entry = {
        {"name", c.name},
        {"enabled", c.enabled},
        {"filter", c.filter},
        {"failregex", regexes},
        {"logpaths",
         j.local.logpaths.empty() ? std::vector<std::string>{c.logpath} : j.local.logpaths},
        {"backend", backend_name(j.local.backend)},
        {"journalmatch",
         !j.local.journal_match.empty() ? j.local.journal_match : j.filter.journalmatch},
        {"port", c.port},
        {"maxretry", c.maxretry},
        {"findtime", c.findtime},
        {"bantime", c.bantime},
        {"actions", j.local.actions},
        {"actions_note", j.actions_note}};
    if (!escalation.empty())
      entry["increment"] = escalation;
    if (!refusal.empty())
      entry["increment_refused"] = refusal;
    jails.push_back(std::move(entry));
  }
  std::vector<std::string> errors;
  for (const auto &e : tree.jails.errors)
    errors.push_back(e.message());
  return {{"dir", dir},
          {"files", tree.jails.files},
          {"jails", std::move(jails)},
          {"warnings", tree.warnings},
          {"refused", errors}};
}

} // namespace mcf2b::control
