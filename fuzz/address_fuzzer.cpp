// SPDX-License-Identifier: GPL-2.0-only
// Addresses and prefixes as admins and logs write them. The invariant: what parses
// prints to a form that parses back to the same value.
#include "base/ip_address.h"
#include "fuzz/fuzz_support.h"

using namespace mcf2b;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view input = fuzz::text(data, size);
  if (auto a = IpAddress::parse(input)) {
    auto again = IpAddress::parse(a->to_string());
    if (!again || !(*again == *a))
      fuzz::violated("address " + a->to_string() + " does not read back");
  }
  if (auto p = IpPrefix::parse(input)) {
    auto again = IpPrefix::parse(p->to_string());
    if (!again || !(*again == *p))
      fuzz::violated("prefix " + p->to_string() + " does not read back");
  }
  return 0;
}
