// Internal: the exception the Jinja lexer, parser and interpreter throw; ChatTemplate turns it into an Error.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace smartbot::engine::jinja {

inline constexpr std::size_t kNoPosition = static_cast<std::size_t>(-1);

struct JinjaError : std::runtime_error {
    // position: byte offset in the template source the error refers to (kNoPosition: unknown yet).
    explicit JinjaError(const std::string &message, std::size_t position = kNoPosition)
        : std::runtime_error(message), pos(position)
    {
    }
    std::size_t pos;
};

// "line L, column C" (1-based, columns in bytes) of a byte offset in source.
inline std::string describePosition(const std::string &source, std::size_t pos)
{
    if (pos == kNoPosition)
        return "unknown position";
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < pos && i < source.size(); ++i) {
        if (source[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

} // namespace smartbot::engine::jinja
