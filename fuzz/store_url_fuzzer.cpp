// SPDX-License-Identifier: GPL-2.0-only
// Store URLs (sqlite:PATH, mariadb://USER:PASSWORD@HOST:PORT/DB?socket=...&journal=...):
// parsed or refused, never a crash.
#include "fuzz/fuzz_support.h"
#include "userspace/store/store_url.h"

using namespace mcf2b;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  (void)parse_store_url(fuzz::text(data, size));
  return 0;
}
