#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "scim/error.hpp"

namespace dirsync::scim {

/// A value or a SCIM error: the library reports failures as values, never by
/// throwing.
template <class T>
class expected {
public:
  /// Holds a value.
  expected(T value) : data_(std::move(value)) {}
  /// Holds an error.
  expected(error err) : data_(std::move(err)) {}

  /// True when a value is held.
  bool has_value() const noexcept { return data_.index() == 0; }
  /// Same as has_value().
  explicit operator bool() const noexcept { return has_value(); }

  /// The held value; only valid when has_value().
  T& value() & { assert(has_value()); return std::get<0>(data_); }
  /// The held value; only valid when has_value().
  const T& value() const& { assert(has_value()); return std::get<0>(data_); }
  /// The held value, moved out; only valid when has_value().
  T&& value() && { assert(has_value()); return std::get<0>(std::move(data_)); }
  /// The held error; only valid when !has_value().
  const error& err() const { assert(!has_value()); return std::get<1>(data_); }

  /// Access to the held value.
  T& operator*() & { return value(); }
  /// Access to the held value.
  const T& operator*() const& { return value(); }
  /// Member access on the held value.
  T* operator->() { return &value(); }
  /// Member access on the held value.
  const T* operator->() const { return &value(); }

private:
  std::variant<T, error> data_;
};

/// Success without a value.
struct unit {};

} // namespace dirsync::scim
