// Internal helpers for reading tokenizer.json: typed field access that throws LoadError naming the field.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace smartbot::engine::tokenizer_detail {

using json = nlohmann::json;

// Thrown while loading; Tokenizer::load turns it into an Error.
struct LoadError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail(const std::string &message)
{
    throw LoadError(message);
}

// Largest token id accepted (guards against absurd tables from a malformed file).
inline constexpr int64_t kMaxTokenId = (int64_t{1} << 24) - 1;

inline void requireObject(const json &j, const std::string &where)
{
    if (!j.is_object())
        fail(where + " must be a JSON object, not " + j.type_name());
}

// The field, or nullptr when it is absent or null.
inline const json *optField(const json &obj, const char *key)
{
    if (!obj.is_object())
        return nullptr;
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return nullptr;
    return &*it;
}

inline const json &field(const json &obj, const char *key, const std::string &where)
{
    requireObject(obj, where);
    const auto it = obj.find(key);
    if (it == obj.end())
        fail(where + ": missing field '" + key + "'");
    return *it;
}

inline std::string stringField(const json &obj, const char *key, const std::string &where)
{
    const json &v = field(obj, key, where);
    if (!v.is_string())
        fail(where + ": field '" + key + "' must be a string, not " + v.type_name());
    return v.get<std::string>();
}

inline bool boolField(const json &obj, const char *key, const std::string &where, bool fallback)
{
    const json *v = optField(obj, key);
    if (!v)
        return fallback;
    if (!v->is_boolean())
        fail(where + ": field '" + key + "' must be a boolean, not " + v->type_name());
    return v->get<bool>();
}

inline int64_t intValue(const json &v, const std::string &what)
{
    if (!v.is_number_integer())
        fail(what + " must be an integer, not " + v.type_name());
    return v.get<int64_t>();
}

inline int32_t tokenIdValue(const json &v, const std::string &what)
{
    const int64_t id = intValue(v, what);
    if (id < 0 || id > kMaxTokenId)
        fail(what + " is out of range: " + std::to_string(id));
    return static_cast<int32_t>(id);
}

inline std::string typeOf(const json &obj, const std::string &where)
{
    return stringField(obj, "type", where);
}

} // namespace smartbot::engine::tokenizer_detail
