// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>

#include "base/result.h"

namespace mcf2b {

// A refused controller call: the Error, and what kind of refusal it is, so a caller
// answers by kind (the control protocol's error kinds) without re-checking the
// controller's state or reading the message.
struct ControllerError : Error {
  enum class Category {
    not_found, // no such jail or family; the address is not banned/blacklisted/whitelisted
    invalid,   // a value out of range, an unknown option, a family where one jail is needed
    refused,   // the target must never be banned (own, cluster, loopback, whitelisted) or
               // the jail is disabled
    too_wide,  // a prefix wider than /24 (IPv4) or /48 (IPv6) without confirmation
  };
  Category category = Category::invalid;

  ControllerError(Category c, Error e) : Error(std::move(e)), category(c) {}
  static ControllerError not_found(std::string message) {
    return {Category::not_found, Error::msg(std::move(message))};
  }
  static ControllerError invalid(std::string message) {
    return {Category::invalid, Error::msg(std::move(message))};
  }
  static ControllerError refused(std::string message) {
    return {Category::refused, Error::msg(std::move(message))};
  }
  static ControllerError too_wide(std::string message) {
    return {Category::too_wide, Error::msg(std::move(message))};
  }
};

template <class T> using ControllerResult = Result<T, ControllerError>;
using ControllerStatus = Result<void, ControllerError>;

} // namespace mcf2b
