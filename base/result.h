// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>

#include "base/error.h"

namespace mcf2b {

// Either a value or an Error. A small stand-in for C++23's std::expected. A layer whose
// callers answer differently by kind of failure uses an Error-derived type as E (the
// controller's ControllerError carries a category).
template <class T, class E = Error> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}

  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // Accessing the value of a failed Result is a programming error.
  T &value() & { return checked(), std::get<0>(v_); }
  const T &value() const & { return checked(), std::get<0>(v_); }
  T &&value() && { return checked(), std::get<0>(std::move(v_)); }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

  [[nodiscard]] const E &error() const { return std::get<1>(v_); }

  template <class U> T value_or(U &&fallback) const & {
    return ok() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

private:
  void checked() const {
    if (!ok())
      throw std::logic_error("Result has no value: " + std::get<1>(v_).message());
  }
  std::variant<T, E> v_;
};

template <class E> class [[nodiscard]] Result<void, E> {
public:
  Result() = default;
  Result(E error) : error_(std::move(error)) {}

  [[nodiscard]] bool ok() const noexcept { return !error_; }
  explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] const E &error() const { return *error_; }

private:
  std::optional<E> error_;
};

using Status = Result<void>;

} // namespace mcf2b
