// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/model/jail_name.h"

#include <string>
#include <tuple>

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

Status check_jail_config(const JailConfig &c) {
  auto bad = [&](const std::string &why) { return Error::msg("jail '" + c.name + "': " + why); };
  if (auto st = check_jail_name(c.name); !st)
    return st;
  if (c.maxretry < 1 || c.maxretry > 65535)
    return bad("maxretry must be between 1 and 65535, not " + std::to_string(c.maxretry));
  if (c.findtime < 1 || c.findtime > kMaxDuration)
    return bad("findtime must be between 1 and " + std::to_string(kMaxDuration) +
               " seconds, not " + std::to_string(c.findtime));
  if (c.bantime == 0 || c.bantime < -1 || c.bantime > kMaxDuration)
    return bad("bantime must be -1 (permanent) or between 1 and " +
               std::to_string(kMaxDuration) + " seconds, not " + std::to_string(c.bantime));
  for (auto [what, text, max] : {std::tuple{"port", std::string_view(c.port), size_t{50}},
                                 std::tuple{"filter", std::string_view(c.filter), size_t{50}},
                                 std::tuple{"banaction", std::string_view(c.banaction), size_t{50}},
                                 std::tuple{"logpath", std::string_view(c.logpath), size_t{250}}})
    if (text.size() > max)
      return bad(std::string(what) + " is " + std::to_string(text.size()) +
                 " characters long; MailCleaner's column holds " + std::to_string(max));
  return {};
}

} // namespace mcf2b
