// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/regex_translation.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace mcf2b::matcher {
namespace {

constexpr const char *kIp4 = R"((?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3}))";
constexpr const char *kIp6 =
    R"((?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)))";
constexpr const char *kDns = R"((?P<dns>[\w\-.^_]*\w))";
constexpr const char *kCidr = R"((?P<cidr>\d+))";

std::string addr() { return std::string(R"(\[?(?:)") + kIp4 + "|" + kIp6 + R"()\]?)"; }
std::string host() { return "(?:" + addr() + "|" + kDns + ")"; }
std::string subnet() {
  return std::string(R"(\[?(?:)") + kIp4 + "|" + kIp6 + ")(?:/" + kCidr + R"()?\]?)";
}

std::string group_name(std::string_view tag) {
  std::string name;
  for (char c : tag)
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name == "id")
    return "fid";
  if (name == "port")
    return "fport";
  // PCRE2 group names are word characters only; fail2ban allows '-'.
  for (char &c : name)
    if (c == '-')
      c = '_';
  return name;
}

bool is_tag_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// The replacement for one tag (text between < and >); false when it is not a tag.
bool replace_tag(std::string_view tn, std::vector<std::string> &open, std::string &out,
                 bool prescan, int &skiplines) {
  if (tn == "SKIPLINES") {
    // Lines a multi-line failregex passes over (maxlines > 1): the buffer keeps them.
    out = "\\n(?P<skiplines" + std::to_string(skiplines++) + ">(?:(?:.*\\n)*?))";
    return true;
  }
  if (prescan) {
    static const char *const host_tags[] = {"HOST",   "IP4",    "F-IP4/",  "IP6",    "F-IP6/",
                                            "ADDR",   "F-ADDR/", "SUBNET", "F-SUBNET/", "DNS",
                                            "F-DNS/", "F-ID/"};
    for (const char *t : host_tags)
      if (tn == t) {
        out = R"(\S+)";
        return true;
      }
  }
  if (tn == "HOST") {
    out = host();
    return true;
  }
  if (tn == "IP4" || tn == "F-IP4/") {
    out = kIp4;
    return true;
  }
  if (tn == "IP6" || tn == "F-IP6/") {
    out = kIp6;
    return true;
  }
  if (tn == "ADDR" || tn == "F-ADDR/") {
    out = addr();
    return true;
  }
  if (tn == "CIDR" || tn == "F-CIDR/") {
    out = kCidr;
    return true;
  }
  if (tn == "SUBNET" || tn == "F-SUBNET/") {
    out = subnet();
    return true;
  }
  if (tn == "DNS" || tn == "F-DNS/") {
    out = kDns;
    return true;
  }
  if (tn == "F-ID/") {
    out = R"((?P<fid>\S+))";
    return true;
  }
  if (tn == "F-PORT/") {
    out = R"((?P<fport>\w+))";
    return true;
  }
  bool closing = !tn.empty() && tn.front() == '/';
  std::string_view name = closing ? tn.substr(1) : tn;
  if (name.size() > 2 && name.substr(0, 2) == "F-") {
    std::string_view custom = name.substr(2);
    for (char c : custom)
      if (!(std::isupper(static_cast<unsigned char>(c)) ||
            std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
        return false;
    if (closing) {
      for (auto &o : open)
        if (o == custom) {
          out = ")";
          return true;
        }
      return false;
    }
    open.emplace_back(custom);
    out = "(?P<" + group_name(custom) + ">";
    return true;
  }
  return false;
}

} // namespace

namespace {

// Python's re reads "x{,3}" as "x{0,3}"; PCRE2 before 10.43 reads it as the literal
// text "{,3}" (assp's "\(\d{,3}\)"). Outside classes and escapes, the 0 is written.
std::string python_quantifiers(std::string in) {
  bool in_class = false;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\\') {
      ++i;
    } else if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
      if (i + 1 < in.size() && in[i + 1] == '^')
        ++i;
      if (i + 1 < in.size() && in[i + 1] == ']')
        ++i; // a leading ']' is a member
    } else if (c == '{' && i > 0 && i + 1 < in.size() && in[i + 1] == ',') {
      size_t j = i + 2;
      while (j < in.size() && in[j] >= '0' && in[j] <= '9')
        ++j;
      if (j > i + 2 && j < in.size() && in[j] == '}')
        in.insert(i + 1, "0");
    }
  }
  return in;
}

std::string expand_tags(std::string_view regex, bool prescan) {
  // FTAG_CRE = </?[\w\-]+/?>
  std::string out;
  std::vector<std::string> open;
  int skiplines = 0;
  for (size_t i = 0; i < regex.size();) {
    if (regex[i] == '<') {
      size_t j = i + 1;
      if (j < regex.size() && regex[j] == '/')
        ++j;
      size_t name_start = j;
      while (j < regex.size() && is_tag_char(regex[j]))
        ++j;
      if (j > name_start) {
        if (j < regex.size() && regex[j] == '/')
          ++j;
        if (j < regex.size() && regex[j] == '>') {
          std::string repl;
          if (replace_tag(regex.substr(i + 1, j - i - 1), open, repl, prescan, skiplines)) {
            out += repl;
            i = j + 1;
            continue;
          }
          // Not a known tag: copy it, but the scan for tags resumes after it, as
          // Python's re.sub does.
          out.append(regex.substr(i, j + 1 - i));
          i = j + 1;
          continue;
        }
      }
    }
    out += regex[i++];
  }
  return python_quantifiers(std::move(out));
}

} // namespace

std::string expand_fail2ban_tags(std::string_view regex) { return expand_tags(regex, false); }

std::string expand_fail2ban_tags_for_prescan(std::string_view regex) {
  return expand_tags(regex, true);
}

namespace {

// A small recursive rewriter over PCRE syntax, enough for the constructs fail2ban's
// filters use. It keeps escapes and character classes intact.
class SupersetRewriter {
public:
  explicit SupersetRewriter(std::string_view p) : p_(p) {}

  std::string run() { return sequence(/*stop_at_paren=*/false); }

private:
  // Rewrites until the end or an unmatched ')' (not consumed).
  std::string sequence(bool stop_at_paren) {
    std::string out;
    while (i_ < p_.size()) {
      char c = p_[i_];
      if (c == ')') {
        if (stop_at_paren)
          return out;
        out += c; // unbalanced: keep, the compiler will complain
        ++i_;
        continue;
      }
      if (c == '\\') {
        // "\[\]" is fail2ban's mark of where the cut timestamp was ("[date] msg" reads
        // "[] msg" to the failregex); the raw line Hyperscan sees still holds the date.
        if (p_.substr(i_, 4) == "\\[\\]") {
          out += "\\[[^\\]\\n]*\\]";
          i_ += 4;
          continue;
        }
        out += single_line_escape(escape());
        continue;
      }
      if (c == '[') {
        out += char_class();
        continue;
      }
      if (c == '^' || c == '$') {
        // An anchor outside a class: dropping it only widens the match (and Hyperscan
        // refuses end anchors that are not at the end of the pattern).
        ++i_;
        continue;
      }
      if (c == '(') {
        out += group();
        continue;
      }
      out += c;
      ++i_;
    }
    return out;
  }

  // A line is one line: constructs that can match a newline are kept from doing so,
  // which keeps Hyperscan from tracking matches across lines (several times faster).
  static std::string single_line_escape(const std::string &e) {
    if (e == "\\s")
      return "[\\t\\v\\f\\r ]";
    if (e == "\\W")
      return "[^\\w\\n]";
    if (e == "\\D")
      return "[^\\d\\n]";
    return e;
  }

  std::string escape() {
    std::string out(1, p_[i_++]);
    if (i_ < p_.size())
      out += p_[i_++];
    return out;
  }

  std::string char_class() {
    size_t start = i_++;
    if (i_ < p_.size() && p_[i_] == '^')
      ++i_;
    if (i_ < p_.size() && p_[i_] == ']')
      ++i_;
    while (i_ < p_.size() && p_[i_] != ']') {
      if (p_[i_] == '\\')
        ++i_;
      else if (p_[i_] == '[' && i_ + 1 < p_.size() && p_[i_ + 1] == ':') {
        size_t close = p_.find(":]", i_ + 2);
        if (close != std::string_view::npos)
          i_ = close + 1;
      }
      ++i_;
    }
    if (i_ < p_.size())
      ++i_;
    std::string cls(p_.substr(start, i_ - start));
    if (cls.size() > 3 && cls[1] == '^' && cls.back() == ']')
      cls.insert(cls.size() - 1, "\\n"); // a negated class never takes the newline
    return cls;
  }

  // At '('.
  std::string group() {
    ++i_;
    auto starts = [&](std::string_view s) { return p_.substr(i_, s.size()) == s; };
    if (starts("?=") || starts("?!") || starts("?<=") || starts("?<!")) {
      // A look-around constrains without consuming: dropping it widens the match.
      i_ += starts("?<") ? 3 : 2;
      (void)sequence(true);
      if (i_ < p_.size())
        ++i_;
      return "";
    }
    if (starts("?P<") || (starts("?<") && !starts("?<=") && !starts("?<!")) || starts("?'")) {
      size_t close = p_.find_first_of(">'", i_ + 2);
      i_ = close == std::string_view::npos ? p_.size() : close + 1;
      return "(?:" + body();
    }
    if (starts("?P=")) { // named back-reference: anything on the line
      size_t close = p_.find(')', i_);
      i_ = close == std::string_view::npos ? p_.size() : close + 1;
      return "(?:.*)";
    }
    if (starts("?(")) {
      // (?(cond)yes|no): either branch.
      size_t close = p_.find(')', i_ + 2);
      i_ = close == std::string_view::npos ? p_.size() : close + 1;
      return "(?:" + body();
    }
    if (starts("?#")) {
      size_t close = p_.find(')', i_);
      i_ = close == std::string_view::npos ? p_.size() : close + 1;
      return "";
    }
    if (starts("?:") || starts("?>")) {
      i_ += 2;
      return "(?:" + body();
    }
    if (starts("?")) {
      // Inline flags, (?i) or (?i:...): keep as written.
      size_t j = i_ + 1;
      while (j < p_.size() && (std::isalpha(static_cast<unsigned char>(p_[j])) || p_[j] == '-'))
        ++j;
      if (j < p_.size() && p_[j] == ')') {
        std::string flags(p_.substr(i_ - 1, j - i_ + 2));
        i_ = j + 1;
        return flags;
      }
      if (j < p_.size() && p_[j] == ':') {
        std::string head(p_.substr(i_ - 1, j - i_ + 2));
        i_ = j + 1;
        return head + body();
      }
    }
    return "(?:" + body(); // plain capturing group
  }

  // The rest of a group after its opening, including the ')'.
  std::string body() {
    std::string inner = sequence(true);
    if (i_ < p_.size())
      ++i_;
    return inner + ")";
  }

  std::string_view p_;
  size_t i_ = 0;
};

} // namespace

std::string hyperscan_superset(std::string_view pcre_regex) {
  std::string inner = SupersetRewriter(pcre_regex).run();
  return "(?:" + inner + ").*$";
}

namespace {

// Splits a superset (the rewriter's output: no anchors, no look-arounds, groups are
// (?:...)) into the atoms of its top-level sequence, looking through groups that carry
// no quantifier and no alternation, and finds the run of consecutive "fixed" atoms
// (literal characters, [xX] case pairs, groups whose alternatives are all fixed) that
// holds the most literal characters. Every line the superset matches contains a match
// of that run, so the run is a superset too, and Hyperscan scans a few literals several
// times faster than the whole pattern.
class FactorFinder {
public:
  explicit FactorFinder(std::string_view p) : p_(p) {}

  std::optional<std::string> run(size_t min_chars) {
    std::vector<std::vector<Atom>> branches;
    if (!sequence(branches) || i_ != p_.size() || branches.size() != 1)
      return std::nullopt;
    std::string best, current;
    size_t best_chars = 0, current_chars = 0;
    for (const Atom &a : branches[0]) {
      if (a.fixed) {
        current += a.text;
        current_chars += a.chars;
      } else {
        current.clear();
        current_chars = 0;
      }
      if (current_chars > best_chars) {
        best = current;
        best_chars = current_chars;
      }
    }
    if (best_chars < min_chars)
      return std::nullopt;
    return best;
  }

private:
  struct Atom {
    std::string text;
    bool fixed = false;
    size_t chars = 0; // literal characters every match of the atom holds
  };

  // A quantifier at i_ (consumed), if any.
  bool quantifier() {
    if (i_ >= p_.size())
      return false;
    char c = p_[i_];
    if (c == '?' || c == '*' || c == '+') {
      ++i_;
    } else if (c == '{') {
      size_t j = i_ + 1, digits = 0;
      while (j < p_.size() && std::isdigit(static_cast<unsigned char>(p_[j])))
        ++j, ++digits;
      if (digits && j < p_.size() && p_[j] == ',') {
        ++j;
        while (j < p_.size() && std::isdigit(static_cast<unsigned char>(p_[j])))
          ++j;
      }
      if (!digits || j >= p_.size() || p_[j] != '}')
        return false; // a literal '{'
      i_ = j + 1;
    } else {
      return false;
    }
    if (i_ < p_.size() && (p_[i_] == '?' || p_[i_] == '+'))
      ++i_; // lazy or possessive
    return true;
  }

  // Parses alternatives up to the end or an unmatched ')' (not consumed). False: a
  // construct this finder does not handle (the caller keeps the whole superset).
  bool sequence(std::vector<std::vector<Atom>> &branches) {
    branches.emplace_back();
    while (i_ < p_.size()) {
      char c = p_[i_];
      if (c == ')')
        return true;
      if (c == '|') {
        branches.emplace_back();
        ++i_;
        continue;
      }
      size_t start = i_;
      Atom atom;
      std::vector<std::vector<Atom>> inner;
      if (c == '\\') {
        if (i_ + 1 >= p_.size())
          return false;
        char e = p_[i_ + 1];
        if (std::isalnum(static_cast<unsigned char>(e))) {
          // Classes (\d \w \s ...) and zero-width assertions break a run; escapes with
          // arguments (\x41, \p{L}, \Q...\E, back-references) are not handled.
          if (!std::strchr("dDwWsShHvVbBAzZtrfnR", e))
            return false;
          atom.fixed = std::strchr("trf", e) != nullptr;
        } else {
          atom.fixed = true;
        }
        i_ += 2;
      } else if (c == '[') {
        size_t close = class_end(i_);
        if (close == std::string_view::npos)
          return false;
        std::string_view cls = p_.substr(i_, close + 1 - i_);
        // A case pair such as [aA] is as good as a literal; any wider class breaks.
        atom.fixed = cls.size() == 4 && std::isalpha(static_cast<unsigned char>(cls[1])) &&
                     cls[1] != cls[2] &&
                     std::tolower(static_cast<unsigned char>(cls[1])) ==
                         std::tolower(static_cast<unsigned char>(cls[2]));
        i_ = close + 1;
      } else if (c == '(') {
        if (p_.substr(i_, 3) != "(?:")
          return false; // inline flags: not handled
        i_ += 3;
        if (!sequence(inner) || i_ >= p_.size())
          return false;
        ++i_; // ')'
      } else if (c == '.' || c == '^' || c == '$') {
        ++i_;
      } else {
        atom.fixed = true;
        ++i_;
      }
      atom.chars = atom.fixed ? 1 : 0;
      bool quantified = quantifier();
      atom.text = std::string(p_.substr(start, i_ - start));
      std::vector<Atom> &out = branches.back();
      if (c == '(') {
        if (inner.size() == 1 && !quantified) {
          // A plain group is its atoms: runs go on through it.
          out.insert(out.end(), inner[0].begin(), inner[0].end());
          continue;
        }
        atom.fixed = !quantified;
        atom.chars = SIZE_MAX;
        for (const auto &branch : inner) {
          size_t n = 0;
          for (const Atom &a : branch) {
            atom.fixed &= a.fixed;
            n += a.chars;
          }
          atom.chars = std::min(atom.chars, n);
        }
        if (!atom.fixed)
          atom.chars = 0;
      } else if (quantified) {
        atom.fixed = false;
        atom.chars = 0;
      }
      out.push_back(std::move(atom));
    }
    return true;
  }

  size_t class_end(size_t at) const {
    size_t j = at + 1;
    if (j < p_.size() && p_[j] == '^')
      ++j;
    if (j < p_.size() && p_[j] == ']')
      ++j;
    while (j < p_.size() && p_[j] != ']') {
      if (p_[j] == '\\')
        ++j;
      else if (p_[j] == '[' && j + 1 < p_.size() && p_[j + 1] == ':') {
        size_t close = p_.find(":]", j + 2);
        if (close != std::string_view::npos)
          j = close + 1;
      }
      ++j;
    }
    return j < p_.size() ? j : std::string_view::npos;
  }

  std::string_view p_;
  size_t i_ = 0;
};

} // namespace

std::string hyperscan_prescan_pattern(std::string_view pcre_regex, size_t min_factor) {
  std::string inner = SupersetRewriter(pcre_regex).run();
  if (auto factor = FactorFinder(inner).run(min_factor))
    return *factor;
  return "(?:" + inner + ").*$";
}

std::string prescan_pattern_for_scanning(std::string_view pattern, size_t min_factor) {
  // A space after a backslash is escaped: what precedes it decides, so it stays.
  while (pattern.size() > min_factor && pattern.back() == ' ' &&
         pattern[pattern.size() - 2] != '\\')
    pattern.remove_suffix(1);
  return std::string(pattern);
}

std::optional<std::string> prefregex_with_content_to_line_end(std::string_view expanded) {
  constexpr std::string_view tail = "(?P<content>.+)$";
  if (expanded.size() < tail.size() || expanded.substr(expanded.size() - tail.size()) != tail ||
      expanded.find("(?P<content>") != expanded.size() - tail.size() ||
      expanded.find("(*") != std::string_view::npos)
    return std::nullopt;
  // Inline options ((?s), (?m), (?x), (?^)...): a "(?" followed by a letter other than P
  // (named groups), or by - or ^. A literal "\(?" followed by such a letter is taken for
  // one too, which only costs the rewrite.
  for (size_t at = expanded.find("(?"); at != std::string_view::npos;
       at = expanded.find("(?", at + 2)) {
    char c = at + 2 < expanded.size() ? expanded[at + 2] : '\0';
    if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '^') && c != 'P')
      return std::nullopt;
  }
  return std::string(expanded.substr(0, expanded.size() - tail.size())) + "(?=.)";
}

} // namespace mcf2b::matcher
