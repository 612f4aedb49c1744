// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace mcf2b {

// fail2ban's bantime.formula, a Python expression fail2ban eval()s, read here by a small
// parser of its own and never handed to Python or a shell. It understands what the
// documented formulas use: numbers; ban.Time, ban.Count, banFactor, math.e, math.pi;
// + - * / // % ** << >>; comparisons, and, or, not, `X if C else Y`; parentheses; and
// math.exp, math.log, math.log2, math.log10, math.sqrt, math.pow, math.floor, math.ceil,
// float, int, min, max, abs, round. Anything else (another name, an attribute, a string,
// a lambda) is refused when the formula is read, naming what and where.
class BanFormula {
public:
  // fail2ban's default: ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor.
  static constexpr std::string_view kDefault =
      "ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor";

  static Result<BanFormula> parse(std::string_view text);

  // The value for a ban of `time` seconds whose address was banned `count` times before;
  // nullopt where Python would raise (a shift of a fraction, a division by zero) or the
  // result is not a finite number.
  [[nodiscard]] std::optional<double> evaluate(double time, double count, double factor) const;

  [[nodiscard]] const std::string &text() const { return text_; }

  struct Node;
  BanFormula(BanFormula &&) noexcept;
  BanFormula &operator=(BanFormula &&) noexcept;
  BanFormula(const BanFormula &);
  BanFormula &operator=(const BanFormula &);
  ~BanFormula();

private:
  BanFormula(std::string text, std::shared_ptr<const Node> root);
  std::string text_;
  std::shared_ptr<const Node> root_; // immutable once parsed: shared by copies
};

} // namespace mcf2b
