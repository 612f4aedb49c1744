// SPDX-License-Identifier: GPL-2.0-only
// A jail file in mcf2b's jail folder (fail2ban's jail syntax): every jail read, refused
// with file and line, or left out, never a crash or a hang.
#include "fuzz/fuzz_support.h"
#include "userspace/daemon/jail_files.h"

using namespace mcf2b;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::vector<JailConfig> existing = mailcleaner_default_jails(true);
  fuzz::write_file("jail.d/fuzzed.conf", fuzz::text(data, size));
  JailImport imported = import_jail_files(fuzz::scratch_dir() + "/jail.d", existing);
  for (const auto &j : imported.jails)
    if (j.name.empty())
      fuzz::violated("a jail without a name was accepted");
  return 0;
}
