// SPDX-License-Identifier: GPL-2.0-only
#include "control/arguments.h"

#include <charconv>
#include <limits>

namespace mcf2b::control {

Result<IpPrefix> parse_ip_argument(std::string_view text) {
  auto prefix = IpPrefix::parse(text);
  if (!prefix)
    return Error::msg("malformed address or prefix '" + std::string(text) +
                      "': " + prefix.error().message());
  return prefix;
}

Result<Seconds> parse_time_argument(std::string_view option, std::string_view text,
                                    bool permanent_allowed) {
  if (permanent_allowed && (text == "permanent" || text == "-1"))
    return Seconds{-1};
  auto value = parse_duration(text);
  if (!value || *value < 0)
    return Error::msg("invalid " + std::string(option) + " '" + std::string(text) +
                      "': expected a time such as 600, 10m, 1h, 1d, 1w" +
                      (permanent_allowed ? " or -1 (permanent)" : ""));
  if (*value == 0)
    return Error::msg("invalid " + std::string(option) + " '" + std::string(text) +
                      "': it must be longer than 0 seconds");
  return *value;
}

Result<int> parse_count_argument(std::string_view option, std::string_view text, int minimum) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range)
    return Error::msg("invalid " + std::string(option) + " " + std::string(text) +
                      ": it must be at most " + std::to_string(std::numeric_limits<int>::max()));
  if (ec != std::errc() || end != text.data() + text.size())
    return Error::msg("invalid " + std::string(option) + " '" + std::string(text) +
                      "': expected a whole number");
  if (value < minimum)
    return Error::msg("invalid " + std::string(option) + " " + std::string(text) +
                      ": it must be at least " + std::to_string(minimum));
  return value;
}

Status check_port_list(std::string_view text) {
  std::string why;
  if (!parse_port_list(text, &why))
    return Error::msg("invalid port list '" + std::string(text) + "': " + why);
  return {};
}

} // namespace mcf2b::control
