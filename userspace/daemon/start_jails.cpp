// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/start_jails.h"

#include "base/log.h"
#include "userspace/daemon/fail2ban_jail.h"
#include "userspace/daemon/fail2ban_tree.h"
#include "userspace/daemon/jail_files.h"

namespace mcf2b {

void import_start_jails(const DaemonConfig &config, JailController &controller,
                        Decisions &decisions, std::map<std::string, matcher::UseDns> &use_dns,
                        std::map<std::string, JailLocalOptions> &local_options) {
  const DaemonConfig &cfg = config;
  if (!cfg.fail2ban_dir.empty()) {
    Fail2banJailOptions tree_options;
    tree_options.filters.dirs = cfg.filter_dirs;
    Fail2banImport tree = import_fail2ban_tree(cfg.fail2ban_dir, controller.jails(), tree_options);
    for (const auto &w : tree.warnings)
      log_warning(w);
    for (const auto &n : tree.notes)
      log_info(n);
    for (const auto &e : tree.jails.errors)
      log_error(e.message());
    for (auto &[name, mode] : tree.jails.use_dns)
      use_dns[name] = mode;
    for (auto &[name, local] : tree.jails.local_options)
      local_options[name] = local;
    for (const auto &e : merge_jail_files(controller, tree.jails, decisions))
      log_error(e.message());
    log_info("fail2ban tree " + cfg.fail2ban_dir + ": " + std::to_string(tree.enabled.size()) +
             " enabled jail(s) taken from " + std::to_string(tree.jails.files.size()) +
             " file(s), " + std::to_string(tree.jails.errors.size()) + " error(s)");
  }
  // Jail files, for admins who prefer files to commands.
  JailImport imported = import_jail_files(cfg.jail_dir, controller.jails());
  for (const auto &e : imported.errors)
    log_error(e.message());
  for (auto &[name, mode] : imported.use_dns)
    use_dns[name] = mode;
  for (auto &[name, local] : imported.local_options)
    local_options[name] = local;
  for (const auto &e : merge_jail_files(controller, imported, decisions))
    log_error(e.message());
  // fail2ban's bantime.increment, which the stored row cannot hold.
  for (const auto &[name, local] : local_options)
    if (local.increment)
      if (auto st = controller.set_local_options(name, local); !st)
        log_error(st.error().message());
  if (!imported.files.empty())
    log_info("imported " + std::to_string(imported.files.size()) + " jail file(s) from " +
             cfg.jail_dir);
}

} // namespace mcf2b
