// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/service/store_sink.h"

namespace mcf2b {

std::vector<Mutation> to_mutations(const Decisions &decisions) {
  std::vector<Mutation> out;
  out.reserve(decisions.jails.size() + decisions.records.size());
  for (const auto &j : decisions.jails)
    out.emplace_back(PutJail{j});
  for (const auto &r : decisions.records)
    out.emplace_back(PutBan{r});
  return out;
}

Status StoreSink::apply(const Decisions &decisions) {
  auto mutations = to_mutations(decisions);
  if (mutations.empty())
    return {};
  return store_.apply(mutations);
}

} // namespace mcf2b
