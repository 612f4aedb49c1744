// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/service/controller_bootstrap.h"

#include <sstream>

#include "base/log.h"
#include "userspace/service/local_addresses.h"
#include "userspace/store/overlapped_ban_scan.h"
#include "userspace/store/settings.h"

namespace mcf2b {

Result<BootstrapReport> bootstrap_controller(JailController &controller, StateStore &store,
                                             bool enable_default_jails,
                                             const std::vector<IpPrefix> &ignore_list,
                                             const std::vector<IpAddress> &cluster_nodes) {
  BootstrapReport report;
  auto existing = store.list_jails();
  if (!existing)
    return existing.error().context("read jails");
  if (existing->empty()) {
    std::vector<Mutation> seed;
    for (const auto &j : mailcleaner_default_jails(enable_default_jails))
      seed.emplace_back(PutJail{j});
    if (auto st = store.apply(seed); !st)
      return st.error().context("seed MailCleaner's default jails");
    report.seeded = true;
    existing = store.list_jails();
    if (!existing)
      return existing.error();
  }
  report.decisions.append(controller.configure(*existing, &report.rejected));

  auto own = local_addresses();
  if (own)
    controller.set_own_addresses(*own);
  else
    log_warning("cannot list this host's addresses: " + own.error().message());
  controller.set_cluster_nodes(cluster_nodes);

  std::vector<IpPrefix> ignore = ignore_list;
  if (auto stored = store.get_setting(settings::kIgnoreIp); stored && *stored) {
    std::istringstream words(**stored);
    std::string word;
    while (words >> word) {
      if (auto p = IpPrefix::parse(word))
        ignore.push_back(*p);
      else
        log_warning("stored ignoreip: " + p.error().message());
    }
  }
  controller.set_ignore_list(ignore);

  // Row by row as the store reads them (on a thread of its own): a million rows are
  // never all in memory. Counted first, so the controller's table is sized once.
  auto rows = store.count_bans(BanQuery{});
  if (!rows)
    return rows.error().context("count bans");
  JailController::Restorer restore = controller.restorer(*rows);
  auto take = [&](const BanRecord &r) { restore.add(r); };
  if (auto st = scan_bans_overlapped(store, BanQuery{}, take); !st)
    return st.error().context("read bans");
  report.restore = restore.finish(report.decisions);
  return report;
}

} // namespace mcf2b
