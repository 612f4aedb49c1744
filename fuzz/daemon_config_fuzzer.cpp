// SPDX-License-Identifier: GPL-2.0-only
// mcf2bd's config file ([mcf2bd] section): every key read or refused with file and line.
#include "fuzz/fuzz_support.h"
#include "userspace/daemon/daemon_config.h"

using namespace mcf2b;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = fuzz::write_file("mcf2bd.conf", fuzz::text(data, size));
  DaemonConfig config;
  (void)read_daemon_config(path, config);
  return 0;
}
