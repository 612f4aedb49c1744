// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <optional>

#include "base/result.h"
#include "userspace/controller/ban_formula.h"
#include "userspace/model/jail_local_options.h"

namespace mcf2b {

// fail2ban's bantime.increment for one jail, computed as fail2ban's observer does
// (incrBanTime / calcBanTime): the first ban of an address lasts the jail's bantime; a
// ban of an address banned `previous` (> 0) times before lasts
//   multipliers:  bantime * factor * multipliers[min(previous, size - 1)]
//   else formula: max(bantime, formula(ban.Time = bantime, ban.Count = previous, banFactor))
// then at most maxtime, plus a random 0..rndtime; and never less than the jail's bantime
// (fail2ban only ever prolongs). A permanent bantime stays permanent. Fractions of a
// second are dropped.
class BanEscalation {
public:
  using Settings = JailLocalOptions::BantimeIncrement;

  // The formula is read here: one mcf2b cannot evaluate is an Error naming what.
  static Result<BanEscalation> from(const Settings &settings);

  // The length of a ban; `random_fraction` in [0, 1) stands for fail2ban's random().
  [[nodiscard]] Seconds bantime(Seconds jail_bantime, int previous, double random_fraction) const;

  [[nodiscard]] bool overall_jails() const { return settings_.overall_jails; }
  [[nodiscard]] const Settings &settings() const { return settings_; }

private:
  BanEscalation(Settings settings, std::optional<BanFormula> formula)
      : settings_(std::move(settings)), formula_(std::move(formula)) {}
  Settings settings_;
  std::optional<BanFormula> formula_; // unset when multipliers are given
};

} // namespace mcf2b
