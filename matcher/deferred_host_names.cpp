// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/deferred_host_names.h"

namespace mcf2b::matcher {

bool DeferredHostNames::defer(const Match &match) {
  if (!resolves_names(mode_) || match.host_kind != HostKind::name)
    return false;
  Pending p{match, names_.size(), match.host_text.size()};
  p.match.host_text = {};
  names_.append(match.host_text);
  pending_.push_back(p);
  return true;
}

void DeferredHostNames::resolve(HostNameResolver &resolver, int64_t now, const Emit &emit,
                                const OnResolved &on_resolved) {
  std::string name;
  for (const Pending &p : pending_) {
    name.assign(names_, p.name_offset, p.name_size);
    const std::vector<IpAddress> &addresses = resolver.resolve(name, now);
    if (addresses.empty())
      continue;
    Match m = p.match;
    m.host_text = name;
    if (on_resolved)
      on_resolved(m, addresses);
    m.host_kind = HostKind::address;
    for (const IpAddress &a : addresses) {
      m.address = a;
      emit(m);
    }
  }
  pending_.clear();
  names_.clear();
}

std::string resolution_warning(const Match &match, const std::vector<IpAddress> &addresses) {
  std::string text = "determined the address of " + std::string(match.host_text) +
                     " by a DNS lookup: ";
  for (size_t i = 0; i < addresses.size(); ++i)
    text += (i ? ", " : "") + addresses[i].to_string();
  return text;
}

} // namespace mcf2b::matcher
