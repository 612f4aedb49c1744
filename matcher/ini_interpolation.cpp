// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/ini_interpolation.h"

#include <algorithm>
#include <cctype>

namespace mcf2b::matcher {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

constexpr int kMaxDepth = 10; // Python's MAX_INTERPOLATION_DEPTH

} // namespace

Result<std::optional<std::string>> IniInterpolator::get(const std::string &section,
                                                        const std::string &key) const {
  std::string sec = section, opt = key;
  if (auto slash = key.find('/'); slash != std::string::npos && key.rfind("known/", 0) != 0) {
    sec = key.substr(0, slash);
    opt = key.substr(slash + 1);
    if (lower(sec) == "default")
      sec = "DEFAULT";
  }
  std::string raw_text;
  SourceLocation where;
  if (auto v = vars_.find(opt); v != vars_.end() && sec == section) {
    raw_text = v->second;
  } else if (auto value = raw_(sec, opt)) {
    raw_text = value->text;
    where = value->where;
  } else {
    return std::optional<std::string>{};
  }
  // fail2ban's get_ex reads <section/option> in that section: its %(...)s are that
  // section's options (asterisk's [lt_journal] __extra_timestamp).
  auto out = interpolate(raw_text, sec, where, 0);
  if (!out)
    return out.error();
  return std::optional<std::string>{std::move(*out)};
}

Result<std::string> IniInterpolator::interpolate(const std::string &text,
                                                 const std::string &section,
                                                 const SourceLocation &where, int depth) const {
  if (depth > kMaxDepth)
    return Error::msg(where.to_string() + ": interpolation nested too deeply (more than " +
                      std::to_string(kMaxDepth) + " levels of %(...)s, a loop?)");
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '%') {
      out += text[i++];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '%') {
      out += '%';
      i += 2;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '(') {
      size_t close = text.find(")s", i + 2);
      if (close == std::string::npos)
        return Error::msg(where.to_string() + ": bad interpolation syntax ('%(' without ')s')");
      std::string name = lower(text.substr(i + 2, close - i - 2));
      std::string sec = section, opt = name;
      if (auto slash = name.find('/'); slash != std::string::npos && name.rfind("known/", 0)) {
        sec = text.substr(i + 2, slash); // section names keep their case
        opt = name.substr(slash + 1);
        if (lower(sec) == "default")
          sec = "DEFAULT";
      }
      std::string raw_text;
      SourceLocation inner_where = where;
      std::optional<IniValue> value;
      if (auto v = vars_.find(opt); v != vars_.end() && sec == section) {
        raw_text = v->second;
      } else if (opt == "__name__") {
        raw_text = sec; // fail2ban's BasicInterpolationWithName: the section's name
      } else if ((value = raw_(sec, opt))) {
        raw_text = value->text;
        inner_where = value->where;
      } else if (opt.rfind("known/", 0) == 0 && (value = raw_("DEFAULT", opt.substr(6)))) {
        // Nothing of this section was overridden: fail2ban falls back to [DEFAULT]'s x
        // (never to the section's own x, which may be the very value referring here).
        raw_text = value->text;
        inner_where = value->where;
      } else {
        std::string shown = name.size() > 64 ? name.substr(0, 64) + "..." : name;
        return Error::msg(where.to_string() + ": %(" + shown + ")s refers to an option that " +
                          "does not exist in [" + section + "]");
      }
      auto inner = interpolate(raw_text, section, inner_where, depth + 1);
      if (!inner)
        return inner;
      if (out.size() + inner->size() > kMaxExpandedSize)
        return Error::msg(where.to_string() + ": %(" + name.substr(0, 64) + ")s expands beyond " +
                          std::to_string(kMaxExpandedSize / 1024) + " KiB");
      out += *inner;
      i = close + 2;
      continue;
    }
    return Error::msg(where.to_string() + ": '%' must be followed by '%' or '(' (write %% for %)");
  }
  return out;
}

} // namespace mcf2b::matcher
