// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/model/jail_name.h"

#include <string>

#include "userspace/model/jail.h"

namespace mcf2b {
namespace {

bool letter_or_digit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

} // namespace

Status check_jail_name(std::string_view name) {
  // The name as shown in errors: cut, and only when it is printable.
  auto shown = [&] {
    std::string text(name.substr(0, 40));
    for (char &c : text)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        c = '?';
    return text + (name.size() > 40 ? "..." : "");
  };
  auto bad = [&](const std::string &why) {
    return Error::msg("invalid jail name '" + shown() + "': " + why);
  };
  if (name.empty())
    return Error::msg("the jail name is empty");
  if (name.size() > kMaxJailName)
    return bad("longer than " + std::to_string(kMaxJailName) +
               " characters (its ipset twin adds -v6)");
  if (!letter_or_digit(name.front()))
    return bad("it must start with a letter or a digit");
  for (char c : name)
    if (!(letter_or_digit(c) || c == '-' || c == '_' || c == '.'))
      return bad("only letters, digits, '.', '_' and '-' are allowed");
  if (jail_family(name).size() + std::string_view(kBlacklistSuffix).size() > kMaxJailName)
    return bad("its family's blacklist jail '" + std::string(jail_family(name)) +
               std::string(kBlacklistSuffix) + "' would be longer than " +
               std::to_string(kMaxJailName) + " characters");
  return {};
}

} // namespace mcf2b
