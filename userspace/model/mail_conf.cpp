// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/model/mail_conf.h"

#include <algorithm>

namespace mcf2b {

Status check_mail_address(std::string_view address) {
  auto refuse = [&](const std::string &why) {
    // The address is shown with control characters made visible, never raw.
    std::string shown;
    for (unsigned char c : address.substr(0, 60))
      shown += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
    return Error::msg("mail address '" + shown + "' " + why);
  };
  if (address.empty())
    return refuse("is empty");
  if (address.size() > 150)
    return refuse("is longer than 150 characters");
  for (unsigned char c : address)
    if (c <= 0x20 || c >= 0x7f || std::string_view("<>()[]\\,;:\"").find(static_cast<char>(c)) !=
                                      std::string_view::npos)
      return refuse("holds a character not allowed in an address (space, control, bracket, "
                    "quote, comma or non-ASCII)");
  size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size())
    return refuse("is not local@domain");
  if (std::count(address.begin(), address.end(), '@') != 1)
    return refuse("holds more than one @");
  std::string_view domain = address.substr(at + 1);
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos)
    return refuse("has a malformed domain");
  return {};
}

Status check_mail_name(std::string_view name) {
  if (name.size() > 150)
    return Error::msg("the sender name is longer than 150 characters");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f)
      return Error::msg("the sender name holds a control character (CR, LF, tab, ...)");
  return {};
}

} // namespace mcf2b
