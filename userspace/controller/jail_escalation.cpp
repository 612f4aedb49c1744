// SPDX-License-Identifier: GPL-2.0-only
// fail2ban's bantime.increment in the controller: which jails may use it, and the length
// of a ban it gives from the address's earlier bans (the (ip, jail) ban counts the
// table keeps, the same counts the -bl promotion reads).
#include <random>

#include "userspace/controller/jail_controller.h"

namespace mcf2b {

ControllerStatus JailController::set_local_options(std::string_view name,
                                                   const JailLocalOptions &options) {
  auto id = catalog_.find(name);
  if (!id)
    return catalog_.unknown("jail", name);
  runtime_.resize(catalog_.size());
  JailRuntime &rt = runtime_[*id];
  if (!options.increment) {
    rt.escalation.reset();
    return {};
  }
  rt.escalation.reset();
  const JailConfig &config = catalog_.config(*id);
  const auto &family = catalog_.family(catalog_.family_of(*id));
  size_t counting = 0;
  for (const auto &j : family.counting)
    counting += j.has_value();
  // A MailCleaner family escalates through its tiers (a longer findtime, a longer ban)
  // and its -bl jail; increment on top would escalate twice.
  if (catalog_.is_blacklist_jail(*id) || catalog_.tier_of(*id) != JailCatalog::kTiers - 1 ||
      counting > 1)
    return ControllerError::invalid("jail " + config.name + " belongs to the tiered family " +
                                    family.name +
                                    ", whose tiers are its escalation: bantime.increment is not "
                                    "applied (it keeps its bantime)");
  auto escalation = BanEscalation::from(*options.increment);
  if (!escalation)
    return ControllerError::invalid("jail " + config.name + ": " + escalation.error().message() +
                                    "; bantime.increment is not applied");
  rt.escalation = std::move(*escalation);
  return {};
}

Seconds JailController::escalated_bantime(JailId jail, const IpPrefix &prefix, Seconds bantime) {
  const auto &escalation = runtime_[jail].escalation;
  if (!escalation || bantime <= 0)
    return bantime;
  // The earlier bans: in this jail, or (overalljails) in every jail, as fail2ban sums
  // its bips rows of the address.
  int64_t previous = 0;
  if (escalation->overall_jails()) {
    for (JailId id = 0; id < catalog_.size(); ++id)
      if (const BanTable::Row *row = table_.find({id, prefix}))
        previous += row->count;
  } else if (const BanTable::Row *row = table_.find({jail, prefix})) {
    previous = row->count;
  }
  if (previous <= 0)
    return bantime;
  double fraction = 0;
  if (escalation->settings().rndtime > 0) {
    if (random_) {
      fraction = random_();
    } else {
      static thread_local std::mt19937_64 engine{std::random_device{}()};
      fraction = std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    }
  }
  return escalation->bantime(bantime, static_cast<int>(std::min<int64_t>(previous, INT32_MAX)),
                             fraction);
}

} // namespace mcf2b
