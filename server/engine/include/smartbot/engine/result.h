// Result<T>: a value or an error message (expected-style). Used across the engine API.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace smartbot::engine {

struct Error {
    std::string message;
};

template <typename T>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design

    bool ok() const { return std::holds_alternative<T>(v_); }
    explicit operator bool() const { return ok(); }

    T &value() & { assert(ok()); return std::get<T>(v_); }
    const T &value() const & { assert(ok()); return std::get<T>(v_); }
    T &&value() && { assert(ok()); return std::get<T>(std::move(v_)); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }

    const std::string &error() const { assert(!ok()); return std::get<Error>(v_).message; }

private:
    std::variant<T, Error> v_;
};

// Result<void>: success or an error message.
template <>
class Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error.message)), failed_(true) {} // NOLINT
    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const std::string &error() const { return error_; }

private:
    std::string error_;
    bool failed_ = false;
};

inline Error makeError(std::string message) { return Error{std::move(message)}; }

} // namespace smartbot::engine
