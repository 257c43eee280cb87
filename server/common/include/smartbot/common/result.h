// Result<T>: a value or an Error (expected-style), shared by every layer (engine, core, service, http, daemon, app).
// Error carries a code that callers switch on (never on message text) and a message for people.
// No Qt, no engine: this header is all of smartbot_common.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace smartbot {

// What kind of failure, for callers that answer differently (HTTP status, a retry, a calmer notice).
enum class ErrorCode {
    Failed,           // anything else: the message says what
    InvalidArgument,  // bad input: a request field, a config value, a file's content
    NotFound,         // the named thing (a key, a file, a keychain entry) does not exist
    PermissionDenied, // refused for who or where the caller is (e.g. an API key used from another address)
    Unavailable,      // a resource is not reachable now (a keychain service, a database)
    Busy,             // a resource is reachable but saturated now (every database connection in use): retry later
};

struct Error {
    Error(std::string text, ErrorCode errorCode = ErrorCode::Failed) // NOLINT: implicit from a message by design
        : code(errorCode), message(std::move(text))
    {
    }
    ErrorCode code;
    std::string message;
};

template <typename T> class Result {
public:
    Result(T value) : v_(std::move(value)) {}     // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {} // NOLINT: implicit by design

    bool ok() const { return std::holds_alternative<T>(v_); }
    explicit operator bool() const { return ok(); }

    T &value() &
    {
        assert(ok());
        return std::get<T>(v_);
    }
    const T &value() const &
    {
        assert(ok());
        return std::get<T>(v_);
    }
    T &&value() &&
    {
        assert(ok());
        return std::get<T>(std::move(v_));
    }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }

    // The failure (code and message); error() is its message.
    const Error &failure() const
    {
        assert(!ok());
        return std::get<Error>(v_);
    }
    const std::string &error() const { return failure().message; }
    ErrorCode code() const { return failure().code; }

private:
    std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
template <> class Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {} // NOLINT: implicit by design
    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const Error &failure() const { return error_; }
    const std::string &error() const { return error_.message; }
    ErrorCode code() const { return error_.code; }

private:
    Error error_{std::string()};
    bool failed_ = false;
};

inline Error makeError(std::string message, ErrorCode code = ErrorCode::Failed)
{
    return Error{std::move(message), code};
}

} // namespace smartbot
