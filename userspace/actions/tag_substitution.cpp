// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/actions/tag_substitution.h"

#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <set>

#include "matcher/fail2ban_config.h"

namespace mcf2b::actions {
namespace {

// fail2ban's MAX_TAG_REPLACE_COUNT + 1 rounds of replacement at most.
constexpr int kMaxRounds = 26;

// fail2ban's CommandAction._escapedTags: never resolved from properties.
const std::set<std::string> &escaped_tags() {
  static const std::set<std::string> tags{"matches", "ipmatches", "ipjailmatches"};
  return tags;
}

// fail2ban's ADD_REPL_TAGS.
std::optional<std::string> additional_tag(const std::string &tag) {
  if (tag == "br")
    return std::string("\n");
  if (tag == "sp")
    return std::string(" ");
  if (tag == "fq-hostname")
    return fq_hostname();
  if (tag == "sh-hostname")
    return short_hostname();
  return std::nullopt;
}

bool checked_form(std::string_view v) {
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr(".:/_-", c))
      return false;
  return true;
}

// fail2ban's FCUSTAG_CRE <F-([A-Z0-9_\-]+)> and mapTag2Opt.
std::optional<std::string> field_key(const std::string &tag) {
  if (tag.size() < 3 || tag.compare(0, 2, "F-") != 0)
    return std::nullopt;
  std::string key;
  for (size_t i = 2; i < tag.size(); ++i) {
    char c = tag[i];
    if (!(std::isupper(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      return std::nullopt;
    key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (key == "id")
    return std::string("fid");
  if (key == "port")
    return std::string("fport");
  return key;
}

// Where in the shell's grammar a position of the command text is.
enum class Quoting { none, double_quoted, single_quoted, dollar_single };

struct Context {
  enum Kind { top, double_quotes, backticks, substitution } kind;
  int parens = 0; // open ( within a $( ... ) that are not its end
};

} // namespace

std::string fq_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0)
    return "localhost";
  addrinfo hints{};
  hints.ai_flags = AI_CANONNAME;
  addrinfo *res = nullptr;
  std::string out = name;
  if (::getaddrinfo(name, nullptr, &hints, &res) == 0 && res) {
    if (res->ai_canonname && std::strchr(res->ai_canonname, '.'))
      out = res->ai_canonname;
    ::freeaddrinfo(res);
  }
  return out;
}

std::string short_hostname() {
  std::string fq = fq_hostname();
  return fq.substr(0, fq.find('.'));
}

std::string environment_name(std::string_view tag) {
  std::string out = "MCF2B_";
  for (char c : tag)
    out += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
               : '_';
  return out;
}

Result<std::string> expand_static(const std::string &command,
                                  const std::map<std::string, std::string> &properties,
                                  std::string_view family) {
  if (command.find('<') == std::string::npos)
    return command;
  std::string conditional = family.empty() ? "" : "family=" + std::string(family);
  // The properties with their own tags resolved (substituteRecursiveTags).
  std::map<std::string, std::string> resolved = properties;
  matcher::TagSubstitution how;
  how.ignore = escaped_tags();
  how.conditional = conditional;
  if (auto st = matcher::substitute_recursive_tags(resolved, how); !st)
    return st.error();

  std::string query = command;
  for (int round = 0; round < kMaxRounds; ++round) {
    std::string out;
    size_t from = 0, start = 0, end = 0;
    while (matcher::find_tag(query, from, start, end)) {
      out.append(query, from, start - from);
      std::string tag = query.substr(start + 1, end - start - 2);
      std::optional<std::string> value;
      if (!escaped_tags().count(tag)) {
        if (!conditional.empty())
          if (auto it = resolved.find(tag + "?" + conditional); it != resolved.end())
            value = it->second;
        if (!value)
          if (auto it = resolved.find(tag); it != resolved.end())
            value = it->second;
      }
      if (!value)
        value = additional_tag(tag);
      out += value ? *value : query.substr(start, end - start);
      from = end;
    }
    out.append(query, from, std::string::npos);
    if (out == query || out.find('<') == std::string::npos)
      return out;
    query = std::move(out);
  }
  return Error::msg("tags of the command refer to each other without end: " + command);
}

BoundCommand bind_dynamic_tags(const std::string &text, const TagValues &values) {
  BoundCommand bound;
  std::map<std::string, std::string> variable_of; // tag -> environment name
  auto variable = [&](const std::string &tag, const std::string &value) {
    auto it = variable_of.find(tag);
    if (it != variable_of.end())
      return it->second;
    std::string name = environment_name(tag);
    // Two tags that differ only by punctuation (F-A-B, F-A_B) get two variables.
    for (int n = 2; std::any_of(variable_of.begin(), variable_of.end(),
                                [&](const auto &kv) { return kv.second == name; });
         ++n)
      name = environment_name(tag) + "_" + std::to_string(n);
    variable_of[tag] = name;
    // An environment string ends at NUL: a NUL of a log line is passed as a space.
    std::string clean = value;
    for (char &c : clean)
      if (c == '\0')
        c = ' ';
    bound.environment.emplace_back(name, std::move(clean));
    return name;
  };

  std::vector<Context> stack{{Context::top}};
  Quoting quoting = Quoting::none;
  std::string &out = bound.script;
  out.reserve(text.size());
  size_t i = 0;
  auto reference = [&](const std::string &name) {
    std::string ref = "${" + name + "}";
    switch (quoting) {
    case Quoting::single_quoted:
      return "'\"" + ref + "\"'";
    case Quoting::dollar_single:
      return "'\"" + ref + "\"$'";
    case Quoting::double_quoted:
      return ref;
    case Quoting::none:
      break;
    }
    return "\"" + ref + "\"";
  };

  while (i < text.size()) {
    char c = text[i];
    if (c == '<') {
      size_t start = 0, end = 0;
      if (matcher::find_tag(text, i, start, end) && start == i) {
        std::string tag = text.substr(start + 1, end - start - 2);
        std::optional<std::string> replacement;
        if (auto it = values.checked.find(tag); it != values.checked.end()) {
          if (checked_form(it->second))
            replacement = it->second;
          else // a checked value that is not: bound like a log value, never spliced
            replacement = reference(variable(tag, it->second));
        } else if (auto lf = values.from_logs.find(tag); lf != values.from_logs.end()) {
          replacement = reference(variable(tag, lf->second));
        } else if (auto key = field_key(tag)) {
          auto f = values.fields.find(*key);
          // fail2ban: a field the failure did not capture is the empty string.
          replacement =
              f == values.fields.end() ? std::string() : reference(variable(tag, f->second));
        } else if (auto add = additional_tag(tag)) {
          replacement = *add;
        }
        if (replacement) {
          out += *replacement;
          i = end;
          continue;
        }
      }
      out += c;
      ++i;
      continue;
    }
    // Track the shell's quoting so that each reference above is written for its place.
    if (quoting == Quoting::single_quoted) {
      if (c == '\'')
        quoting = Quoting::none;
      out += c;
      ++i;
      continue;
    }
    if (quoting == Quoting::dollar_single) {
      if (c == '\\' && i + 1 < text.size()) {
        out.append(text, i, 2);
        i += 2;
        continue;
      }
      if (c == '\'')
        quoting = Quoting::none;
      out += c;
      ++i;
      continue;
    }
    Context &ctx = stack.back();
    if (c == '\\' && i + 1 < text.size()) {
      out.append(text, i, 2);
      i += 2;
      continue;
    }
    if (c == '$' && i + 1 < text.size() && text[i + 1] == '(') {
      stack.push_back({Context::substitution});
      quoting = Quoting::none;
      out += "$(";
      i += 2;
      continue;
    }
    if (c == '`') {
      if (ctx.kind == Context::backticks) {
        stack.pop_back();
      } else {
        stack.push_back({Context::backticks});
      }
      quoting =
          stack.back().kind == Context::double_quotes ? Quoting::double_quoted : Quoting::none;
      out += c;
      ++i;
      continue;
    }
    if (ctx.kind == Context::double_quotes) {
      if (c == '"') {
        stack.pop_back();
        quoting =
            stack.back().kind == Context::double_quotes ? Quoting::double_quoted : Quoting::none;
      }
      out += c;
      ++i;
      continue;
    }
    // Unquoted (top level, inside $(...) or `...`).
    if (c == '"') {
      stack.push_back({Context::double_quotes});
      quoting = Quoting::double_quoted;
    } else if (c == '\'') {
      bool dollar = i > 0 && text[i - 1] == '$' && !out.empty() && out.back() == '$';
      quoting = dollar ? Quoting::dollar_single : Quoting::single_quoted;
    } else if (ctx.kind == Context::substitution && c == '(') {
      ++ctx.parens;
    } else if (ctx.kind == Context::substitution && c == ')') {
      if (ctx.parens > 0) {
        --ctx.parens;
      } else {
        stack.pop_back();
        quoting =
            stack.back().kind == Context::double_quotes ? Quoting::double_quoted : Quoting::none;
      }
    }
    out += c;
    ++i;
  }
  return bound;
}

} // namespace mcf2b::actions
