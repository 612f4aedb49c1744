// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/service/offline_commands.h"

#include "userspace/controller/clock.h"
#include "userspace/service/command_handler.h"
#include "userspace/service/controller_bootstrap.h"
#include "userspace/service/store_sink.h"
#include "userspace/service/version.h"

namespace mcf2b {

Result<control::Response> execute_offline(const std::string &state_url,
                                          const control::Request &request,
                                          const std::string &node) {
  StoreOptions options;
  options.node = node;
  auto store = open_store(state_url, options);
  if (!store)
    return store.error();
  SystemClock clock;
  JailControllerOptions co;
  co.node = (*store)->node();
  JailController controller(clock, co);
  auto boot = bootstrap_controller(controller, **store, false, {}, {});
  if (!boot)
    return boot.error();
  StoreSink sink(**store);
  // Bans that ended while nobody ran are closed in the store now, as the daemon would.
  if (auto st = sink.apply(boot->decisions); !st)
    return st.error();
  CommandHandler handler(controller, **store, sink, {(*store)->node(), kVersion, nullptr, nullptr, nullptr});
  return handler.handle(request);
}

} // namespace mcf2b
