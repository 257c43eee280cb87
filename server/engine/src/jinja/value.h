// Internal: runtime values of the Jinja interpreter. They reproduce @huggingface/jinja's RuntimeValue classes,
// whose behaviour follows JavaScript: numbers are doubles (integer or float flavoured), `==` is JS loose equality,
// lists and dicts print as JSON, objects keep insertion order.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace smartbot::engine::jinja {

// Hard limits that protect the process from hostile templates and inputs (errors, never crashes):
inline constexpr uint32_t kMaxValueNesting = 512;         // lists / dicts inside each other (JSON input too)
inline constexpr std::size_t kMaxStringBytes = 32u << 20; // any string a template builds

struct Env;
using EnvPtr = std::shared_ptr<Env>;

enum class Type { Undefined, Null, Boolean, Integer, Float, String, Array, Tuple, Object, KwArgs, Namespace, Function };

struct Value;
using Array = std::vector<Value>;

struct Object {
    std::vector<std::pair<std::string, Value>> entries; // insertion order
    uint32_t nest = 1;                                  // nesting depth (kept up to date for namespaces)
    const Value *find(std::string_view key) const;
    void set(const std::string &key, Value v); // replaces in place or appends
};

// Called with the evaluated arguments (keyword arguments, if any, as a trailing KwArgs value) and the caller's
// environment.
using NativeFunction = std::function<Value(std::vector<Value> &args, const EnvPtr &env)>;

struct Value {
    Type type = Type::Undefined;
    bool b = false;
    double num = 0;
    std::string str;
    std::shared_ptr<Array> arr;
    std::shared_ptr<Object> obj;
    std::shared_ptr<NativeFunction> fn;
    uint32_t nest = 0; // lists: nesting depth (see nestingOf)

    static Value undefined() { return Value(); }
    static Value null()
    {
        Value v;
        v.type = Type::Null;
        return v;
    }
    static Value boolean(bool x)
    {
        Value v;
        v.type = Type::Boolean;
        v.b = x;
        return v;
    }
    static Value integer(double x)
    {
        Value v;
        v.type = Type::Integer;
        v.num = x;
        return v;
    }
    static Value floating(double x)
    {
        Value v;
        v.type = Type::Float;
        v.num = x;
        return v;
    }
    static Value string(std::string s)
    {
        Value v;
        v.type = Type::String;
        v.str = std::move(s);
        return v;
    }
    // Throw JinjaError when the result would nest deeper than kMaxValueNesting.
    static Value array(Array items, Type t = Type::Array);
    static Value object(Object o, Type t = Type::Object);
    static Value function(NativeFunction f)
    {
        Value v;
        v.type = Type::Function;
        v.fn = std::make_shared<NativeFunction>(std::move(f));
        return v;
    }

    bool isNumber() const { return type == Type::Integer || type == Type::Float; }
    bool isArray() const { return type == Type::Array || type == Type::Tuple; }    // instanceof ArrayValue
    bool isObject() const { return type == Type::Object || type == Type::KwArgs; } // instanceof ObjectValue
    bool isContainer() const { return isObject() || type == Type::Namespace; }     // has attributes
    bool isNullish() const { return type == Type::Undefined || type == Type::Null; }
};

uint32_t nestingOf(const Value &v);
const char *typeName(Type t);
std::string aType(Type t); // "a string", "an integer", "none" ... for messages

bool truthy(const Value &v);                       // __bool__()
std::string display(const Value &v);               // toString(): what {{ }} prints
std::string jsString(const Value &v);              // String(value.value): what + and ~ concatenate
bool looseEquals(const Value &a, const Value &b);  // a.value == b.value
bool strictEquals(const Value &a, const Value &b); // a.value === b.value

struct JsonOptions {
    int indent = 0; // 0: none
    bool ensureAscii = false;
    bool sortKeys = false;
    bool customSeparators = false;
    std::string itemSeparator, keySeparator;
};
// toJSON(); throws JinjaError for values JSON cannot hold (tuples, functions, keyword arguments), for values that
// contain themselves, and beyond kMaxStringBytes.
std::string toJson(const Value &v, const JsonOptions &options, int depth = 0, bool undefinedToNull = true);

// Value from JSON, as JSON.parse + convertToRuntimeValues give it (integer-like keys first, like JS objects).
// Throws JinjaError for JSON nested deeper than kMaxValueNesting.
Value fromJson(const nlohmann::ordered_json &j, uint32_t depth = 0);

} // namespace smartbot::engine::jinja
