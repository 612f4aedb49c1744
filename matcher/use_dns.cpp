// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/use_dns.h"

namespace mcf2b::matcher {

std::optional<UseDns> parse_use_dns(std::string_view text) {
  if (text == "no")
    return UseDns::no;
  if (text == "raw")
    return UseDns::raw;
  if (text == "yes")
    return UseDns::yes;
  if (text == "warn")
    return UseDns::warn;
  return std::nullopt;
}

std::string_view to_string(UseDns mode) {
  switch (mode) {
  case UseDns::no: return "no";
  case UseDns::raw: return "raw";
  case UseDns::yes: return "yes";
  case UseDns::warn: return "warn";
  }
  return "no";
}

} // namespace mcf2b::matcher
