// Filters (`x | name` and `x | name(args)`), as @huggingface/jinja applies them per operand type.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "jinja/error.h"
#include "jinja/interpreter.h"
#include "jinja/unicode.h"

namespace smartbot::engine::jinja {

namespace {

[[noreturn]] void fail(const std::string &message)
{
    throw JinjaError(message);
}

[[noreturn]] void unknown(const std::string &name, const Value &operand)
{
    fail("unknown filter '" + name + "' for " + aType(operand.type));
}

// parseInt(s, 10) / parseFloat(s); NaN when there is no number at the start.
double parseIntJs(const std::string &s)
{
    const std::string_view t = trimStart(s);
    std::size_t i = 0;
    bool negative = false;
    if (i < t.size() && (t[i] == '+' || t[i] == '-'))
        negative = t[i++] == '-';
    const std::size_t digits = i;
    double v = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9')
        v = v * 10 + (t[i++] - '0');
    if (i == digits)
        return NAN;
    return negative ? -v : v;
}

double parseFloatJs(const std::string &s)
{
    const std::string t(trimStart(s));
    std::size_t i = 0;
    if (i < t.size() && (t[i] == '+' || t[i] == '-'))
        ++i;
    if (t.compare(i, 8, "Infinity") == 0)
        return t[0] == '-' ? -INFINITY : INFINITY;
    std::size_t end = i;
    bool digits = false, dot = false;
    while (end < t.size() && ((t[end] >= '0' && t[end] <= '9') || (t[end] == '.' && !dot))) {
        digits = digits || t[end] != '.';
        dot = dot || t[end] == '.';
        ++end;
    }
    if (!digits)
        return NAN;
    if (end < t.size() && (t[end] == 'e' || t[end] == 'E')) {
        std::size_t e = end + 1;
        if (e < t.size() && (t[e] == '+' || t[e] == '-'))
            ++e;
        if (e < t.size() && t[e] >= '0' && t[e] <= '9') {
            while (e < t.size() && t[e] >= '0' && t[e] <= '9')
                ++e;
            end = e;
        }
    }
    return std::strtod(t.substr(0, end).c_str(), nullptr);
}

// Truthiness of the raw JS value (objects are always truthy).
bool rawTruthy(const Value &v)
{
    return v.isArray() || v.isContainer() || v.type == Type::Function || truthy(v);
}

// Array#join / String(x.value) for the elements (undefined and null become "").
std::string joinItems(const Array &items, const std::string &sep)
{
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i)
            out += sep;
        if (!items[i].isNullish())
            out += jsString(items[i]);
        if (out.size() > kMaxStringBytes)
            fail("join: result too large (more than " + std::to_string(kMaxStringBytes) + " bytes)");
    }
    return out;
}

std::string indentLines(const std::string &s, const std::string &indent, bool first, bool blank)
{
    std::string out;
    std::size_t start = 0;
    for (std::size_t line = 0;; ++line) {
        const std::size_t nl = s.find('\n', start);
        const std::string part = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        if (line > 0)
            out += '\n';
        if ((!first && line == 0) || (!blank && part.empty()))
            out += part;
        else
            out += indent + part;
        if (out.size() > kMaxStringBytes)
            fail("indent: result too large (more than " + std::to_string(kMaxStringBytes) + " bytes)");
        if (nl == std::string::npos)
            return out;
        start = nl + 1;
    }
}

Value option(const std::vector<Value> &args, std::size_t i, const Object &kwargs, const char *key, Value fallback)
{
    if (i < args.size())
        return args[i];
    const Value *v = kwargs.find(key);
    return v ? *v : fallback;
}

std::string spaces(double n)
{
    if (n < 0 || n > 4096)
        fail("invalid indent width " + jsNumber(n));
    return std::string(static_cast<std::size_t>(n), ' ');
}

// One application of a filter: `operand | name` (argNodes null) or `operand | name(args...)`.
struct FilterCall {
    Interpreter &in;
    const Value &operand;
    const std::string &name;
    const std::vector<NodePtr> *argNodes;
    const EnvPtr &env;
    std::vector<Value> args; // filled by evalArgs()
    Object kwargs;

    bool bare() const { return argNodes == nullptr; }
    void evalArgs()
    {
        if (argNodes)
            in.evaluateArguments(*argNodes, env, args, kwargs);
    }
};

// A filter's handler for one form; std::nullopt when it does not take this operand type (then the generic
// per-type fallback below decides: unknown filter, object method, or "cannot apply").
using FilterFn = std::optional<Value> (*)(FilterCall &);

[[noreturn]] void cannotApply(const std::string &name, const Value &operand)
{
    fail("cannot apply filter '" + name + "' to " + aType(operand.type));
}

// A string / object method used as a filter without arguments (`s | upper`, `d | items`).
Value callMember(FilterCall &c)
{
    Value member = builtinMember(c.operand, c.name);
    if (member.type == Type::Function) {
        std::vector<Value> none;
        return (*member.fn)(none, c.env);
    }
    return member;
}

// What a name the table has no handler for (for this form and operand type) does.
Value fallbackFilter(FilterCall &c)
{
    const Value &x = c.operand;
    if (x.isArray() || x.type == Type::String || (c.bare() && (x.isNumber() || x.type == Type::Boolean)))
        unknown(c.name, x);
    if (!x.isObject())
        cannotApply(c.name, x);
    Value member = builtinMember(x, c.name);
    if (member.type != Type::Function)
        unknown(c.name, x);
    c.evalArgs();
    if (!c.kwargs.entries.empty())
        c.args.push_back(Value::object(c.kwargs, Type::KwArgs));
    return (*member.fn)(c.args, c.env);
}

Value numberOf(bool isInt, double v)
{
    return isInt ? Value::integer(v) : Value::floating(v);
}

// --- Any operand -------------------------------------------------------------------------------------------------

std::optional<Value> safeFilter(FilterCall &c)
{
    return c.operand;
}

JsonOptions jsonOptions(const Object &kwargs)
{
    JsonOptions o;
    const Value indent = option({}, 0, kwargs, "indent", Value::null());
    if (indent.type != Type::Integer && indent.type != Type::Null)
        fail("tojson: indent must be an integer");
    if (indent.type == Type::Integer && indent.num != 0)
        o.indent = static_cast<int>(spaces(indent.num).size());
    const Value ascii = option({}, 0, kwargs, "ensure_ascii", Value::boolean(false));
    const Value sortKeys = option({}, 0, kwargs, "sort_keys", Value::boolean(false));
    if (ascii.type != Type::Boolean || sortKeys.type != Type::Boolean)
        fail("tojson: ensure_ascii and sort_keys must be booleans");
    o.ensureAscii = ascii.b;
    o.sortKeys = sortKeys.b;
    const Value separators = option({}, 0, kwargs, "separators", Value::null());
    if (separators.isArray()) {
        const Array &s = *separators.arr;
        if (s.size() != 2 || s[0].type != Type::String || s[1].type != Type::String)
            fail("tojson: separators must be a tuple of two strings");
        o.customSeparators = true;
        o.itemSeparator = s[0].str;
        o.keySeparator = s[1].str;
    } else if (separators.type != Type::Null) {
        fail("tojson: separators must be a tuple of two strings");
    }
    return o;
}

// Bare `tojson` is `tojson()`: no keyword arguments give the default JsonOptions.
std::optional<Value> toJsonFilter(FilterCall &c)
{
    c.evalArgs();
    std::string out = toJson(c.operand, jsonOptions(c.kwargs));
    c.in.checkSize(out.size());
    return Value::string(std::move(out));
}

std::optional<Value> defaultFilter(FilterCall &c)
{
    c.evalArgs();
    const Value fallback = c.args.empty() ? Value::string("") : c.args[0];
    const Value boolean = option(c.args, 1, c.kwargs, "boolean", Value::boolean(false));
    if (boolean.type != Type::Boolean)
        fail("default: the boolean flag must be a boolean");
    return c.operand.type == Type::Undefined || (boolean.b && !truthy(c.operand)) ? fallback : c.operand;
}

// --- Conversions -------------------------------------------------------------------------------------------------

std::optional<Value> stringFilter(FilterCall &c)
{
    const Value &x = c.operand;
    if (x.isArray())
        return Value::string(toJson(x, JsonOptions{}, 0, false));
    if (x.type == Type::String)
        return x;
    if (x.isNumber())
        return Value::string(display(x));
    if (x.type == Type::Boolean)
        return Value::string(x.b ? "true" : "false");
    return std::nullopt;
}

// `x | int` floors numbers; `x | int(default)` leaves them alone (as @huggingface/jinja does).
template <bool IsInt> std::optional<Value> bareNumberFilter(FilterCall &c)
{
    const Value &x = c.operand;
    if (x.type == Type::String) {
        const double v = IsInt ? parseIntJs(x.str) : parseFloatJs(x.str);
        return numberOf(IsInt, std::isnan(v) ? 0 : v);
    }
    if (x.isNumber())
        return numberOf(IsInt, IsInt ? std::floor(x.num) : x.num);
    if (x.type == Type::Boolean)
        return numberOf(IsInt, x.b ? 1 : 0);
    return std::nullopt;
}

template <bool IsInt> std::optional<Value> numberFilter(FilterCall &c)
{
    c.evalArgs();
    const Value &x = c.operand;
    const Value fallback = option(c.args, 0, c.kwargs, "default", numberOf(IsInt, 0));
    if (x.type == Type::String) {
        const double v = IsInt ? parseIntJs(x.str) : parseFloatJs(x.str);
        return std::isnan(v) ? fallback : numberOf(IsInt, v);
    }
    if (x.isNumber())
        return x;
    if (x.type == Type::Boolean)
        return numberOf(IsInt, x.b ? 1 : 0);
    cannotApply(c.name, x);
}

std::optional<Value> absFilter(FilterCall &c)
{
    const Value &x = c.operand;
    if (!x.isNumber())
        return std::nullopt;
    return numberOf(x.type == Type::Integer, std::fabs(x.num));
}

std::optional<Value> boolFilter(FilterCall &c)
{
    return c.operand.type == Type::Boolean ? std::optional<Value>(c.operand) : std::nullopt;
}

// --- Lists -------------------------------------------------------------------------------------------------------

std::optional<Value> listFilter(FilterCall &c)
{
    return c.operand.isArray() ? std::optional<Value>(c.operand) : std::nullopt;
}

std::optional<Value> firstFilter(FilterCall &c)
{
    if (!c.operand.isArray())
        return std::nullopt;
    const Array &a = *c.operand.arr;
    return a.empty() ? Value::undefined() : a.front();
}

std::optional<Value> lastFilter(FilterCall &c)
{
    if (!c.operand.isArray())
        return std::nullopt;
    const Array &a = *c.operand.arr;
    return a.empty() ? Value::undefined() : a.back();
}

std::optional<Value> lengthFilter(FilterCall &c)
{
    const Value &x = c.operand;
    if (x.isArray())
        return Value::integer(static_cast<double>(x.arr->size()));
    if (x.type == Type::String)
        return callMember(c);
    if (x.isObject())
        return Value::integer(static_cast<double>(x.obj->entries.size()));
    return std::nullopt;
}

std::optional<Value> reverseFilter(FilterCall &c)
{
    if (!c.operand.isArray())
        return std::nullopt;
    const Array &a = *c.operand.arr;
    return Value::array(Array(a.rbegin(), a.rend()));
}

// Bare `sort` is `sort()`: the defaults below give the plain ascending, case-insensitive order.
std::optional<Value> sortFilter(FilterCall &c)
{
    if (!c.operand.isArray())
        return std::nullopt;
    c.evalArgs();
    const Value reverse = option(c.args, 0, c.kwargs, "reverse", Value::boolean(false));
    const Value caseSensitive = option(c.args, 1, c.kwargs, "case_sensitive", Value::boolean(false));
    const Value attribute = option(c.args, 2, c.kwargs, "attribute", Value::null());
    if (reverse.type != Type::Boolean || caseSensitive.type != Type::Boolean)
        fail("sort: reverse and case_sensitive must be booleans");
    if (attribute.type != Type::String && attribute.type != Type::Integer && attribute.type != Type::Null)
        fail("sort: attribute must be a string, an integer or none");
    auto key = [&attribute](const Value &item) {
        if (attribute.type == Type::Null)
            return item;
        return attributePath(item, attribute.type == Type::Integer ? jsNumber(attribute.num) : attribute.str);
    };
    Array sorted = *c.operand.arr;
    std::stable_sort(sorted.begin(), sorted.end(), [&](const Value &x, const Value &y) {
        const int r = compareValues(key(x), key(y), caseSensitive.b);
        return (reverse.b ? -r : r) < 0;
    });
    return Value::array(std::move(sorted));
}

std::optional<Value> uniqueFilter(FilterCall &c) // Set semantics (SameValueZero)
{
    if (!c.operand.isArray())
        return std::nullopt;
    Array out;
    for (const Value &x : *c.operand.arr) {
        const bool seen = std::any_of(out.begin(), out.end(), [&x](const Value &y) {
            return strictEquals(x, y) || (x.isNumber() && y.isNumber() && std::isnan(x.num) && std::isnan(y.num));
        });
        if (!seen)
            out.push_back(x);
    }
    return Value::array(std::move(out));
}

std::optional<Value> bareJoinFilter(FilterCall &c)
{
    if (c.operand.isArray())
        return Value::string(joinItems(*c.operand.arr, ""));
    if (c.operand.type == Type::String)
        return c.operand;
    return std::nullopt;
}

std::optional<Value> joinFilter(FilterCall &c)
{
    Array items;
    if (c.operand.type == Type::String) {
        for (std::string &ch : splitChars(c.operand.str))
            items.push_back(Value::string(std::move(ch)));
    } else if (c.operand.isArray()) {
        items = *c.operand.arr;
    } else {
        fail("cannot apply filter 'join' to a " + std::string(typeName(c.operand.type)));
    }
    c.evalArgs();
    const Value sep = option(c.args, 0, c.kwargs, "separator", Value::string(""));
    if (sep.type != Type::String)
        fail("join: the separator must be a string");
    std::string out = joinItems(items, sep.str);
    c.in.checkSize(out.size());
    return Value::string(std::move(out));
}

// Whether selectattr / rejectattr's test (sargs: attribute, [test name, [test argument]]) holds for item.
bool attributeTest(const Value &item, const std::vector<Value> &sargs)
{
    const Value *attr = item.obj->find(sargs[0].str);
    if (!attr)
        return false;
    if (sargs.size() == 1)
        return truthy(*attr);
    bool known = false;
    const bool result = runTest(sargs[1].str, *attr, sargs.size() > 2 ? &sargs[2] : nullptr, known);
    if (!known)
        fail("unknown test '" + sargs[1].str + "'");
    return result;
}

template <bool Select> std::optional<Value> selectAttrFilter(FilterCall &c)
{
    if (!c.operand.isArray())
        return std::nullopt;
    const Array &a = *c.operand.arr;
    for (const Value &item : a)
        if (!item.isContainer())
            fail(c.name + " can only be applied to a list of objects");
    for (const NodePtr &n : *c.argNodes)
        if (n->kind != NodeKind::StringLiteral)
            fail("the arguments of " + c.name + " must be strings");
    std::vector<Value> sargs;
    for (const NodePtr &n : *c.argNodes)
        sargs.push_back(c.in.evaluate(*n, c.env));
    if (sargs.empty())
        fail(c.name + " needs an attribute name");
    Array out;
    for (const Value &item : a)
        if (attributeTest(item, sargs) == Select)
            out.push_back(item);
    return Value::array(std::move(out));
}

std::optional<Value> mapFilter(FilterCall &c)
{
    if (!c.operand.isArray())
        return std::nullopt;
    c.evalArgs();
    const Value *attr = c.kwargs.find("attribute");
    if (!attr)
        fail("map without attribute= is not supported");
    if (attr->type != Type::String)
        fail("map: attribute must be a string");
    const Value *fallback = c.kwargs.find("default");
    Array out;
    for (const Value &item : *c.operand.arr) {
        if (!item.isContainer())
            fail("map: the items must be objects");
        Value v = attributePath(item, attr->str);
        out.push_back(v.type == Type::Undefined && fallback ? *fallback : v);
    }
    return Value::array(std::move(out));
}

// --- Strings -----------------------------------------------------------------------------------------------------

// upper, lower, title, capitalize: the string methods of the same name.
std::optional<Value> stringMethodFilter(FilterCall &c)
{
    return c.operand.type == Type::String ? std::optional<Value>(callMember(c)) : std::nullopt;
}

std::optional<Value> trimFilter(FilterCall &c)
{
    if (c.operand.type != Type::String)
        return std::nullopt;
    return Value::string(std::string(trim(c.operand.str)));
}

// Bare `indent` is `indent()`: four spaces, neither the first line nor blank lines.
std::optional<Value> indentFilter(FilterCall &c)
{
    if (c.operand.type != Type::String)
        return std::nullopt;
    c.evalArgs();
    const Value width = option(c.args, 0, c.kwargs, "width", Value::integer(4));
    if (width.type != Type::Integer)
        fail("indent: width must be an integer");
    const Value first = option(c.args, 1, c.kwargs, "first", Value::boolean(false));
    const Value blank = option(c.args, 2, c.kwargs, "blank", Value::boolean(false));
    std::string out = indentLines(c.operand.str, spaces(width.num), rawTruthy(first), rawTruthy(blank));
    c.in.checkSize(out.size());
    return Value::string(std::move(out));
}

std::optional<Value> replaceFilter(FilterCall &c)
{
    if (c.operand.type != Type::String)
        return std::nullopt;
    c.evalArgs();
    c.args.push_back(Value::object(c.kwargs, Type::KwArgs));
    Value fn = builtinMember(c.operand, "replace");
    Value out = (*fn.fn)(c.args, c.env);
    c.in.checkSize(out.str.size());
    return out;
}

// --- The table ---------------------------------------------------------------------------------------------------

struct Filter {
    FilterFn bare; // `x | name`; null: the fallback
    FilterFn call; // `x | name(...)`; null: the fallback
};

// Adding a filter is one row. Names not here (and operand types a handler declines) go to fallbackFilter().
const std::unordered_map<std::string_view, Filter> &filterTable()
{
    static const std::unordered_map<std::string_view, Filter> table = {
        {"safe", {safeFilter, nullptr}},
        {"tojson", {toJsonFilter, toJsonFilter}},
        {"default", {nullptr, defaultFilter}},
        {"string", {stringFilter, nullptr}},
        {"int", {bareNumberFilter<true>, numberFilter<true>}},
        {"float", {bareNumberFilter<false>, numberFilter<false>}},
        {"abs", {absFilter, nullptr}},
        {"bool", {boolFilter, nullptr}},
        {"list", {listFilter, nullptr}},
        {"first", {firstFilter, nullptr}},
        {"last", {lastFilter, nullptr}},
        {"length", {lengthFilter, nullptr}},
        {"reverse", {reverseFilter, nullptr}},
        {"sort", {sortFilter, sortFilter}},
        {"unique", {uniqueFilter, nullptr}},
        {"join", {bareJoinFilter, joinFilter}},
        {"selectattr", {nullptr, selectAttrFilter<true>}},
        {"rejectattr", {nullptr, selectAttrFilter<false>}},
        {"map", {nullptr, mapFilter}},
        {"upper", {stringMethodFilter, nullptr}},
        {"lower", {stringMethodFilter, nullptr}},
        {"title", {stringMethodFilter, nullptr}},
        {"capitalize", {stringMethodFilter, nullptr}},
        {"trim", {trimFilter, nullptr}},
        {"indent", {indentFilter, indentFilter}},
        {"replace", {nullptr, replaceFilter}},
    };
    return table;
}

} // namespace

Value Interpreter::applyFilter(const Value &operand, const Node &filterNode, const EnvPtr &env)
{
    const bool bare = filterNode.kind == NodeKind::Identifier;
    if (!bare && (filterNode.kind != NodeKind::Call || filterNode.a->kind != NodeKind::Identifier))
        fail("invalid filter");
    const std::string &name = bare ? filterNode.str : filterNode.a->str;
    FilterCall c{*this, operand, name, bare ? nullptr : &filterNode.items, env, {}, {}};
    const auto row = filterTable().find(name);
    if (const FilterFn fn = row == filterTable().end() ? nullptr : bare ? row->second.bare : row->second.call)
        if (std::optional<Value> result = fn(c))
            return std::move(*result);
    return fallbackFilter(c);
}

} // namespace smartbot::engine::jinja
