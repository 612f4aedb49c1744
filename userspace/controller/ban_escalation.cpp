// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/controller/ban_escalation.h"

#include <algorithm>
#include <cmath>

namespace mcf2b {

Result<BanEscalation> BanEscalation::from(const Settings &settings) {
  if (!std::isfinite(settings.factor))
    return Error::msg("bantime.factor must be a number");
  if (settings.maxtime < 0 || settings.rndtime < 0)
    return Error::msg("bantime.maxtime and bantime.rndtime must not be negative");
  if (!settings.multipliers.empty())
    return BanEscalation(settings, std::nullopt);
  auto formula = BanFormula::parse(settings.formula.empty() ? BanFormula::kDefault
                                                            : std::string_view(settings.formula));
  if (!formula)
    return formula.error();
  return BanEscalation(settings, std::move(*formula));
}

Seconds BanEscalation::bantime(Seconds jail_bantime, int previous, double random_fraction) const {
  if (jail_bantime <= 0 || previous <= 0)
    return jail_bantime;
  const double base = static_cast<double>(jail_bantime);
  double length = base;
  if (formula_) {
    // fail2ban logs a formula that raises and keeps the ban as it was.
    auto value = formula_->evaluate(base, previous, settings_.factor);
    if (!value)
      return jail_bantime;
    length = std::max(base, *value);
  } else {
    const auto &m = settings_.multipliers;
    size_t index = std::min(static_cast<size_t>(previous), m.size() - 1);
    length = base * settings_.factor * static_cast<double>(m[index]);
  }
  if (settings_.maxtime > 0)
    length = std::min(length, static_cast<double>(settings_.maxtime));
  if (settings_.rndtime > 0)
    length += random_fraction * static_cast<double>(settings_.rndtime);
  // Ten thousand years: a formula may grow without bound, a ban end must fit.
  constexpr double kLongest = 315'360'000'000.0;
  length = std::min(length, kLongest);
  if (!(length > base))
    return jail_bantime;
  return static_cast<Seconds>(length);
}

} // namespace mcf2b
