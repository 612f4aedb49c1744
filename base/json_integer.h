// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <nlohmann/json.hpp>

#include <concepts>
#include <string>
#include <utility>

#include "base/result.h"

namespace mcf2b {

// An integer member of a JSON object that came from outside (a request, a spool file, a
// peer). nlohmann's get<int>() turns 3.7 into 3 and a float past the integer's range into
// undefined behaviour (a plain cast); this takes only an integer JSON number the type holds.
template <std::integral T>
Result<T> json_integer(const nlohmann::json &object, const char *key) {
  auto it = object.is_object() ? object.find(key) : object.end();
  if (!object.is_object() || it == object.end())
    return Error::msg(std::string("missing ") + key);
  if (it->is_number_unsigned()) {
    auto v = it->template get<std::uint64_t>();
    if (std::in_range<T>(v))
      return static_cast<T>(v);
  } else if (it->is_number_integer()) {
    auto v = it->template get<std::int64_t>();
    if (std::in_range<T>(v))
      return static_cast<T>(v);
  } else {
    return Error::msg(std::string(key) + " must be an integer, not " + it->dump());
  }
  return Error::msg(std::string(key) + " " + it->dump() + " is out of range");
}

// The same, with a value for an absent member.
template <std::integral T>
Result<T> json_integer_or(const nlohmann::json &object, const char *key, T absent) {
  if (!object.is_object() || !object.contains(key))
    return absent;
  return json_integer<T>(object, key);
}

} // namespace mcf2b
