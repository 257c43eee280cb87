#include "jinja/value.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "jinja/error.h"
#include "jinja/unicode.h"

namespace smartbot::engine::jinja {

const Value *Object::find(std::string_view key) const
{
    for (const auto &[k, v] : entries)
        if (k == key)
            return &v;
    return nullptr;
}

void Object::set(const std::string &key, Value v)
{
    for (auto &[k, old] : entries) {
        if (k == key) {
            old = std::move(v);
            return;
        }
    }
    entries.emplace_back(key, std::move(v));
}

uint32_t nestingOf(const Value &v)
{
    if (v.arr)
        return v.nest;
    if (v.obj)
        return v.obj->nest;
    return 0;
}

namespace {

void checkNesting(uint32_t nest)
{
    if (nest > kMaxValueNesting)
        throw JinjaError("values nested too deeply (more than " + std::to_string(kMaxValueNesting) + " levels)");
}

} // namespace

Value Value::array(Array items, Type t)
{
    uint32_t deepest = 0;
    for (const Value &x : items)
        deepest = std::max(deepest, nestingOf(x));
    checkNesting(deepest + 1);
    Value v;
    v.type = t;
    v.nest = deepest + 1;
    v.arr = std::make_shared<Array>(std::move(items));
    return v;
}

Value Value::object(Object o, Type t)
{
    uint32_t deepest = 0;
    for (const auto &[k, x] : o.entries)
        deepest = std::max(deepest, nestingOf(x));
    checkNesting(deepest + 1);
    o.nest = deepest + 1;
    Value v;
    v.type = t;
    v.obj = std::make_shared<Object>(std::move(o));
    return v;
}

const char *typeName(Type t)
{
    switch (t) {
    case Type::Undefined:
        return "undefined";
    case Type::Null:
        return "none";
    case Type::Boolean:
        return "boolean";
    case Type::Integer:
        return "integer";
    case Type::Float:
        return "float";
    case Type::String:
        return "string";
    case Type::Array:
        return "list";
    case Type::Tuple:
        return "tuple";
    case Type::Object:
        return "dict";
    case Type::KwArgs:
        return "keyword arguments";
    case Type::Namespace:
        return "namespace";
    case Type::Function:
        return "function";
    }
    return "value";
}

std::string aType(Type t)
{
    switch (t) {
    case Type::Undefined:
        return "an undefined value";
    case Type::Null:
        return "none";
    case Type::Integer:
        return "an integer";
    case Type::KwArgs:
        return "keyword arguments";
    default:
        return std::string("a ") + typeName(t);
    }
}

bool truthy(const Value &v)
{
    switch (v.type) {
    case Type::Undefined:
    case Type::Null:
        return false;
    case Type::Boolean:
        return v.b;
    case Type::Integer:
    case Type::Float:
        return v.num != 0 && !std::isnan(v.num);
    case Type::String:
        return !v.str.empty();
    case Type::Array:
    case Type::Tuple:
        return !v.arr->empty();
    case Type::Object:
    case Type::KwArgs:
        return !v.obj->entries.empty();
    case Type::Namespace:
    case Type::Function:
        return true; // JS objects
    }
    return false;
}

std::string display(const Value &v)
{
    switch (v.type) {
    case Type::Float:
        if (v.num == 0 && std::signbit(v.num))
            return "-0.0";
        if (std::isfinite(v.num) && std::fabs(v.num) < 1e21 && v.num == std::trunc(v.num))
            return jsNumber(v.num) + ".0"; // toFixed(1)
        return jsNumber(v.num);
    case Type::Array:
    case Type::Tuple:
    case Type::Object:
    case Type::KwArgs:
    case Type::Namespace:
        return toJson(v, JsonOptions{}, 0, false);
    default:
        return jsString(v);
    }
}

std::string jsString(const Value &v)
{
    switch (v.type) {
    case Type::Undefined:
    case Type::Null:
        return "undefined"; // NullValue holds JS undefined too
    case Type::Boolean:
        return v.b ? "true" : "false";
    case Type::Integer:
    case Type::Float:
        return jsNumber(v.num);
    case Type::String:
        return v.str;
    case Type::Array:
    case Type::Tuple: { // Array#toString: the elements' toString() joined by ","
        std::string out;
        for (std::size_t i = 0; i < v.arr->size(); ++i) {
            if (i)
                out += ',';
            out += display((*v.arr)[i]);
            if (out.size() > kMaxStringBytes)
                throw JinjaError("string too large (more than " + std::to_string(kMaxStringBytes) + " bytes)");
        }
        return out;
    }
    case Type::Object:
    case Type::KwArgs:
    case Type::Namespace:
        return "[object Map]";
    case Type::Function:
        return "function";
    }
    return {};
}

namespace {

// JS ToNumber(string)
double stringToNumber(std::string_view s)
{
    s = trim(s);
    if (s.empty())
        return 0;
    const std::string text(s);
    if (text == "Infinity" || text == "+Infinity")
        return INFINITY;
    if (text == "-Infinity")
        return -INFINITY;
    if (text.size() > 2 && text[0] == '0' &&
        (text[1] == 'x' || text[1] == 'X' || text[1] == 'o' || text[1] == 'O' || text[1] == 'b' || text[1] == 'B')) {
        const int base = (text[1] == 'x' || text[1] == 'X') ? 16 : (text[1] == 'o' || text[1] == 'O') ? 8 : 2;
        char *end = nullptr;
        const double r = static_cast<double>(std::strtoull(text.c_str() + 2, &end, base));
        return *end ? NAN : r;
    }
    for (const char c : text) // strtod also takes hex floats, "inf", "nan": JS does not
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
            return NAN;
    char *end = nullptr;
    const double r = std::strtod(text.c_str(), &end);
    return *end ? NAN : r;
}

enum class Js { Undefined, Boolean, Number, String, Object };

Js jsKind(const Value &v)
{
    switch (v.type) {
    case Type::Undefined:
    case Type::Null:
        return Js::Undefined;
    case Type::Boolean:
        return Js::Boolean;
    case Type::Integer:
    case Type::Float:
        return Js::Number;
    case Type::String:
        return Js::String;
    default:
        return Js::Object;
    }
}

const void *identity(const Value &v)
{
    if (v.arr)
        return v.arr.get();
    if (v.obj)
        return v.obj.get();
    return v.fn.get();
}

} // namespace

bool strictEquals(const Value &a, const Value &b)
{
    const Js ka = jsKind(a), kb = jsKind(b);
    if (ka != kb)
        return false;
    switch (ka) {
    case Js::Undefined:
        return true;
    case Js::Boolean:
        return a.b == b.b;
    case Js::Number:
        return a.num == b.num;
    case Js::String:
        return a.str == b.str;
    case Js::Object:
        return identity(a) == identity(b);
    }
    return false;
}

bool looseEquals(const Value &a, const Value &b)
{
    const Js ka = jsKind(a), kb = jsKind(b);
    if (ka == kb)
        return strictEquals(a, b);
    if (ka == Js::Undefined || kb == Js::Undefined)
        return false;
    if (ka == Js::Boolean)
        return looseEquals(Value::integer(a.b ? 1 : 0), b);
    if (kb == Js::Boolean)
        return looseEquals(a, Value::integer(b.b ? 1 : 0));
    if (ka == Js::Object) // ToPrimitive: the string form
        return looseEquals(Value::string(jsString(a)), b);
    if (kb == Js::Object)
        return looseEquals(a, Value::string(jsString(b)));
    // number vs string
    const double x = ka == Js::Number ? a.num : stringToNumber(a.str);
    const double y = kb == Js::Number ? b.num : stringToNumber(b.str);
    return x == y;
}

namespace {

// String#localeCompare approximated for the keys JSON usually has: punctuation before digits before letters,
// letters case-insensitively with lower case first on ties; other characters by UTF-16 order.
int localeCompare(const std::string &a, const std::string &b)
{
    auto primary = [](unsigned char c) -> int {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<unsigned char>(c + 32);
        if (c >= 'a' && c <= 'z')
            return 0x300 + c;
        if (c >= '0' && c <= '9')
            return 0x200 + c;
        return c < 0x80 ? 0x100 + c : 0x400 + c;
    };
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const int pa = primary(static_cast<unsigned char>(a[i])), pb = primary(static_cast<unsigned char>(b[i]));
        if (pa != pb)
            return pa < pb ? -1 : 1;
    }
    if (a.size() != b.size())
        return a.size() < b.size() ? -1 : 1;
    for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i])
            return a[i] > b[i] ? -1 : 1; // lower case (larger code) first
    return 0;
}

} // namespace

namespace {

std::string toJsonImpl(const Value &v, const JsonOptions &o, int depth, bool undefinedToNull, std::size_t &budget);

} // namespace

std::string toJson(const Value &v, const JsonOptions &o, int depth, bool undefinedToNull)
{
    std::size_t budget = 4 * kMaxStringBytes; // total bytes all levels may produce (text is copied once per level)
    return toJsonImpl(v, o, depth, undefinedToNull, budget);
}

namespace {

// `budget`: bytes the containers of this call tree may still produce in total.
std::string toJsonImpl(const Value &v, const JsonOptions &o, int depth, bool undefinedToNull, std::size_t &budget)
{
    if (depth > static_cast<int>(kMaxValueNesting))
        throw JinjaError("cannot convert to JSON: the value is nested too deeply or contains itself");
    std::string itemSep = o.customSeparators ? o.itemSeparator : o.indent ? "," : ", ";
    std::string keySep = o.customSeparators ? o.keySeparator : ": ";
    switch (v.type) {
    case Type::Null:
        return "null";
    case Type::Undefined:
        return undefinedToNull ? "null" : "undefined";
    case Type::Integer:
    case Type::Float:
        return std::isfinite(v.num) ? jsNumber(v.num) : "null";
    case Type::Boolean:
        return v.b ? "true" : "false";
    case Type::String:
        return jsonQuote(v.str, o.ensureAscii);
    case Type::Array:
    case Type::Object:
    case Type::Namespace: {
        const std::string indent(static_cast<std::size_t>(o.indent), ' ');
        std::string basePadding = "\n";
        for (int i = 0; i < depth; ++i)
            basePadding += indent;
        const std::string childPadding = basePadding + indent;
        std::vector<std::string> core;
        if (v.type == Type::Array) {
            for (const Value &x : *v.arr)
                core.push_back(toJsonImpl(x, o, depth + 1, undefinedToNull, budget));
        } else {
            std::vector<const std::pair<std::string, Value> *> entries;
            for (const auto &e : v.obj->entries)
                entries.push_back(&e);
            if (o.sortKeys)
                std::stable_sort(entries.begin(), entries.end(),
                                 [](const auto *x, const auto *y) { return localeCompare(x->first, y->first) < 0; });
            for (const auto *e : entries) {
                std::string item = jsonQuote(e->first, o.ensureAscii) + keySep +
                                   toJsonImpl(e->second, o, depth + 1, undefinedToNull, budget);
                core.push_back(o.indent ? childPadding + item : item);
            }
        }
        std::string out(1, v.type == Type::Array ? '[' : '{');
        const bool padded = o.indent && !core.empty();
        if (padded && v.type == Type::Array)
            out += childPadding;
        for (std::size_t i = 0; i < core.size(); ++i) {
            if (i)
                out += padded && v.type == Type::Array ? itemSep + childPadding : itemSep;
            out += core[i];
        }
        if (padded)
            out += basePadding;
        out += v.type == Type::Array ? ']' : '}';
        if (out.size() > budget || out.size() > kMaxStringBytes)
            throw JinjaError("JSON text too large (more than " + std::to_string(kMaxStringBytes) + " bytes)");
        budget -= out.size();
        return out;
    }
    default:
        throw JinjaError(std::string("cannot convert ") + aType(v.type) + " to JSON");
    }
}

} // namespace

namespace {

// Canonical array index ("0", "7", "42"; not "07"): JS objects list such keys first, in numeric order.
bool isArrayIndex(const std::string &k, uint64_t &value)
{
    if (k.empty() || k.size() > 10 || (k.size() > 1 && k[0] == '0'))
        return false;
    value = 0;
    for (const char c : k) {
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return value < 4294967295ULL;
}

} // namespace

Value fromJson(const nlohmann::ordered_json &j, uint32_t depth)
{
    if (depth >= kMaxValueNesting)
        throw JinjaError("JSON input nested too deeply (more than " + std::to_string(kMaxValueNesting) + " levels)");
    switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
        return Value::null();
    case nlohmann::ordered_json::value_t::boolean:
        return Value::boolean(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
        return Value::integer(static_cast<double>(j.get<int64_t>()));
    case nlohmann::ordered_json::value_t::number_unsigned:
        return Value::integer(static_cast<double>(j.get<uint64_t>()));
    case nlohmann::ordered_json::value_t::number_float: {
        const double d = j.get<double>();
        return std::isfinite(d) && d == std::trunc(d) ? Value::integer(d) : Value::floating(d); // Number.isInteger
    }
    case nlohmann::ordered_json::value_t::string:
        return Value::string(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
        Array items;
        items.reserve(j.size());
        for (const auto &x : j)
            items.push_back(fromJson(x, depth + 1));
        return Value::array(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
        std::vector<std::pair<uint64_t, std::string>> indexKeys;
        Object o;
        for (auto it = j.begin(); it != j.end(); ++it) {
            uint64_t index = 0;
            if (isArrayIndex(it.key(), index))
                indexKeys.emplace_back(index, it.key());
        }
        std::sort(indexKeys.begin(), indexKeys.end());
        for (const auto &[index, key] : indexKeys)
            o.set(key, fromJson(j.at(key), depth + 1));
        for (auto it = j.begin(); it != j.end(); ++it) {
            uint64_t index = 0;
            if (!isArrayIndex(it.key(), index))
                o.set(it.key(), fromJson(it.value(), depth + 1));
        }
        return Value::object(std::move(o));
    }
    default:
        return Value::undefined(); // binary / discarded
    }
}

} // namespace smartbot::engine::jinja
