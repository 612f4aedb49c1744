// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/controller/decisions.h"

#include <iterator>

namespace mcf2b {

std::string_view to_string(BanCause cause) {
  switch (cause) {
  case BanCause::failures:
    return "failures";
  case BanCause::manual:
    return "manual";
  case BanCause::blacklist:
    return "blacklist";
  case BanCause::replicated:
    return "replicated";
  case BanCause::imported:
    return "imported";
  }
  return "unknown";
}

std::string_view to_string(UnbanReason reason) {
  switch (reason) {
  case UnbanReason::expired:
    return "expired";
  case UnbanReason::manual:
    return "manual";
  case UnbanReason::whitelisted:
    return "whitelisted";
  case UnbanReason::blacklist_removed:
    return "blacklist-removed";
  case UnbanReason::blacklist_disabled:
    return "blacklist-disabled";
  case UnbanReason::jail_disabled:
    return "jail-disabled";
  case UnbanReason::replicated:
    return "replicated";
  }
  return "unknown";
}

namespace {
template <class T> void move_append(std::vector<T> &to, std::vector<T> &from) {
  if (to.empty()) {
    to = std::move(from);
    return;
  }
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}
} // namespace

void Decisions::append(Decisions &&other) {
  move_append(bans, other.bans);
  move_append(unbans, other.unbans);
  move_append(records, other.records);
  move_append(jails, other.jails);
}

} // namespace mcf2b
