// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/fail2ban_time.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

namespace mcf2b {
namespace {

bool is_letter(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0;
}
bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}
bool is_word(char c) {
  return is_letter(c) || is_digit(c) || c == '_';
}
bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// fail2ban's unit alternatives, in its replacement order; each a whole word.
struct Unit {
  const char *names[6];
  double seconds;
};
constexpr double kYear = (365.0 * 3 + 366) * 24 * 60 * 60 / 4;
const Unit kUnits[] = {
    {{"days", "day", "da", "dd", "d", nullptr}, 24 * 60 * 60},
    {{"weeks", "week", "wee", "we", "ww", "w"}, 7 * 24 * 60 * 60},
    {{"months", "month", "mon", "mo", nullptr, nullptr}, kYear / 12},
    {{"years", "year", "yea", "ye", "yy", "y"}, kYear},
    {{"seconds", "second", "sec", "se", "ss", "s"}, 1},
    {{"minutes", "minute", "min", "mi", "mm", "m"}, 60},
    {{"hours", "hour", "hou", "ho", "hh", "h"}, 60 * 60},
};

std::optional<double> unit_seconds(std::string word) {
  for (auto &c : word)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto &unit : kUnits)
    for (const char *name : unit.names)
      if (name && word == name)
        return unit.seconds;
  return std::nullopt;
}

// The arithmetic str2seconds hands to Python's eval, on the rewritten text: numbers,
// + - * / (true division), unary signs and parentheses.
class Expression {
public:
  explicit Expression(std::string text) : s_(std::move(text)) {}
  std::optional<double> evaluate() {
    auto v = sum(0);
    skip();
    if (!v || i_ != s_.size() || !std::isfinite(*v))
      return std::nullopt;
    return v;
  }

private:
  void skip() {
    while (i_ < s_.size() && is_space(s_[i_]))
      ++i_;
  }
  std::optional<double> sum(int depth) {
    auto v = product(depth);
    while (v) {
      skip();
      if (i_ >= s_.size() || (s_[i_] != '+' && s_[i_] != '-'))
        break;
      char op = s_[i_++];
      auto r = product(depth);
      if (!r)
        return std::nullopt;
      v = op == '+' ? *v + *r : *v - *r;
    }
    return v;
  }
  std::optional<double> product(int depth) {
    auto v = unary(depth);
    while (v) {
      skip();
      if (i_ >= s_.size() || (s_[i_] != '*' && s_[i_] != '/'))
        break;
      char op = s_[i_++];
      auto r = unary(depth);
      if (!r || (op == '/' && *r == 0))
        return std::nullopt;
      v = op == '*' ? *v * *r : *v / *r;
    }
    return v;
  }
  std::optional<double> unary(int depth) {
    skip();
    if (depth > 32 || i_ >= s_.size())
      return std::nullopt;
    if (s_[i_] == '-' || s_[i_] == '+') {
      char sign = s_[i_++];
      auto v = unary(depth + 1);
      if (!v)
        return std::nullopt;
      return sign == '-' ? -*v : *v;
    }
    if (s_[i_] == '(') {
      ++i_;
      auto v = sum(depth + 1);
      skip();
      if (!v || i_ >= s_.size() || s_[i_] != ')')
        return std::nullopt;
      ++i_;
      return v;
    }
    size_t start = i_;
    while (i_ < s_.size() && (is_digit(s_[i_]) || s_[i_] == '.'))
      ++i_;
    if (start == i_)
      return std::nullopt;
    std::string number = s_.substr(start, i_ - start);
    if (number.find('.') != number.rfind('.') || number == ".")
      return std::nullopt;
    return std::stod(number);
  }

  std::string s_;
  size_t i_ = 0;
};

} // namespace

std::optional<Seconds> fail2ban_seconds(std::string_view text) {
  if (text.size() > 256)
    return std::nullopt;
  // '1d12h' -> '1d 12h': a digit right after a letter starts a new group.
  std::string spaced;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i > 0 && is_digit(text[i]) && is_letter(text[i - 1]))
      spaced += ' ';
    spaced += text[i];
  }
  // Each unit word (after a digit or a space, ending at a word boundary) -> "*seconds".
  std::string expr;
  for (size_t i = 0; i < spaced.size();) {
    if (!is_letter(spaced[i])) {
      expr += spaced[i++];
      continue;
    }
    size_t end = i;
    while (end < spaced.size() && is_letter(spaced[end]))
      ++end;
    bool after_number = i > 0 && (is_digit(spaced[i - 1]) || is_space(spaced[i - 1]));
    bool whole_word = end >= spaced.size() || !is_word(spaced[end]);
    auto seconds = unit_seconds(spaced.substr(i, end - i));
    if (!after_number || !whole_word || !seconds)
      return std::nullopt; // Python's eval would see a name it does not know
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "*%.17g", *seconds);
    expr += buffer;
    i = end;
  }
  // Groups separated by spaces are added: "1*3600 30*60" -> "1*3600+30*60".
  std::string joined;
  for (size_t i = 0; i < expr.size(); ++i) {
    if (is_space(expr[i]) && !joined.empty() && is_digit(joined.back())) {
      size_t j = i;
      while (j < expr.size() && is_space(expr[j]))
        ++j;
      if (j < expr.size() && is_digit(expr[j])) {
        joined += '+';
        i = j - 1;
        continue;
      }
    }
    joined += expr[i];
  }
  auto value = Expression(joined).evaluate();
  if (!value || *value > static_cast<double>(kMaxDuration) ||
      *value < -static_cast<double>(kMaxDuration))
    return std::nullopt;
  return static_cast<Seconds>(*value);
}

} // namespace mcf2b
