// Filters (`x | name` and `x | name(args)`), as @huggingface/jinja applies them per operand type.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "jinja_error.h"
#include "jinja_interpreter.h"
#include "jinja_unicode.h"

namespace smartbot::engine::jinja {

namespace {

[[noreturn]] void fail(const std::string &message) { throw JinjaError(message); }

[[noreturn]] void unknown(const std::string &name, const Value &operand) {
    fail("unknown filter '" + name + "' for " + aType(operand.type));
}

// parseInt(s, 10) / parseFloat(s); NaN when there is no number at the start.
double parseIntJs(const std::string &s) {
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

double parseFloatJs(const std::string &s) {
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
bool rawTruthy(const Value &v) {
    return v.isArray() || v.isContainer() || v.type == Type::Function || truthy(v);
}

// Array#join / String(x.value) for the elements (undefined and null become "").
std::string joinItems(const Array &items, const std::string &sep) {
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

std::string indentLines(const std::string &s, const std::string &indent, bool first, bool blank) {
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

Value option(const std::vector<Value> &args, std::size_t i, const Object &kwargs, const char *key, Value fallback) {
    if (i < args.size())
        return args[i];
    const Value *v = kwargs.find(key);
    return v ? *v : fallback;
}

std::string spaces(double n) {
    if (n < 0 || n > 4096)
        fail("invalid indent width " + jsNumber(n));
    return std::string(static_cast<std::size_t>(n), ' ');
}

} // namespace

Value Interpreter::applyFilter(const Value &operand, const Node &filterNode, const EnvPtr &env) {
    if (filterNode.kind == NodeKind::Identifier) {
        const std::string &name = filterNode.str;
        if (name == "safe")
            return operand;
        if (name == "tojson")
            return Value::string(toJson(operand, JsonOptions{}));
        if (operand.isArray()) {
            const Array &a = *operand.arr;
            if (name == "list")
                return operand;
            if (name == "first")
                return a.empty() ? Value::undefined() : a.front();
            if (name == "last")
                return a.empty() ? Value::undefined() : a.back();
            if (name == "length")
                return Value::integer(static_cast<double>(a.size()));
            if (name == "reverse")
                return Value::array(Array(a.rbegin(), a.rend()));
            if (name == "sort") {
                Array sorted = a;
                std::stable_sort(sorted.begin(), sorted.end(),
                                 [](const Value &x, const Value &y) { return compareValues(x, y, false) < 0; });
                return Value::array(std::move(sorted));
            }
            if (name == "join")
                return Value::string(joinItems(a, ""));
            if (name == "string")
                return Value::string(toJson(operand, JsonOptions{}, 0, false));
            if (name == "unique") { // Set semantics (SameValueZero)
                Array out;
                for (const Value &x : a) {
                    const bool seen = std::any_of(out.begin(), out.end(), [&x](const Value &y) {
                        return strictEquals(x, y) || (x.isNumber() && y.isNumber() && std::isnan(x.num) && std::isnan(y.num));
                    });
                    if (!seen)
                        out.push_back(x);
                }
                return Value::array(std::move(out));
            }
            unknown(name, operand);
        }
        if (operand.type == Type::String) {
            const std::string &s = operand.str;
            if (name == "length" || name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
                Value member = builtinMember(operand, name);
                if (member.type == Type::Function) {
                    std::vector<Value> none;
                    return (*member.fn)(none, env);
                }
                return member;
            }
            if (name == "trim")
                return Value::string(std::string(trim(s)));
            if (name == "indent")
                return Value::string(indentLines(s, "    ", false, false));
            if (name == "join" || name == "string")
                return operand;
            if (name == "int") {
                const double v = parseIntJs(s);
                return Value::integer(std::isnan(v) ? 0 : v);
            }
            if (name == "float") {
                const double v = parseFloatJs(s);
                return Value::floating(std::isnan(v) ? 0 : v);
            }
            unknown(name, operand);
        }
        if (operand.isNumber()) {
            if (name == "abs")
                return operand.type == Type::Integer ? Value::integer(std::fabs(operand.num)) : Value::floating(std::fabs(operand.num));
            if (name == "int")
                return Value::integer(std::floor(operand.num));
            if (name == "float")
                return Value::floating(operand.num);
            if (name == "string")
                return Value::string(display(operand));
            unknown(name, operand);
        }
        if (operand.isObject()) {
            if (name == "length")
                return Value::integer(static_cast<double>(operand.obj->entries.size()));
            Value member = builtinMember(operand, name);
            if (member.type == Type::Function) {
                std::vector<Value> none;
                return (*member.fn)(none, env);
            }
            unknown(name, operand);
        }
        if (operand.type == Type::Boolean) {
            if (name == "bool")
                return operand;
            if (name == "int")
                return Value::integer(operand.b ? 1 : 0);
            if (name == "float")
                return Value::floating(operand.b ? 1 : 0);
            if (name == "string")
                return Value::string(operand.b ? "true" : "false");
            unknown(name, operand);
        }
        fail("cannot apply filter '" + name + "' to " + aType(operand.type));
    }
    if (filterNode.kind != NodeKind::Call || filterNode.a->kind != NodeKind::Identifier)
        fail("invalid filter");
    const std::string &name = filterNode.a->str;
    const std::vector<NodePtr> &argNodes = filterNode.items;
    std::vector<Value> args;
    Object kwargs;
    auto evalArgs = [&]() { evaluateArguments(argNodes, env, args, kwargs); };

    if (name == "tojson") {
        evalArgs();
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
            if (separators.arr->size() != 2 || (*separators.arr)[0].type != Type::String || (*separators.arr)[1].type != Type::String)
                fail("tojson: separators must be a tuple of two strings");
            o.customSeparators = true;
            o.itemSeparator = (*separators.arr)[0].str;
            o.keySeparator = (*separators.arr)[1].str;
        } else if (separators.type != Type::Null) {
            fail("tojson: separators must be a tuple of two strings");
        }
        std::string out = toJson(operand, o);
        checkSize(out.size());
        return Value::string(std::move(out));
    }
    if (name == "join") {
        Array items;
        if (operand.type == Type::String) {
            for (std::string &c : splitChars(operand.str))
                items.push_back(Value::string(std::move(c)));
        } else if (operand.isArray()) {
            items = *operand.arr;
        } else {
            fail("cannot apply filter 'join' to a " + std::string(typeName(operand.type)));
        }
        evalArgs();
        const Value sep = option(args, 0, kwargs, "separator", Value::string(""));
        if (sep.type != Type::String)
            fail("join: the separator must be a string");
        std::string out = joinItems(items, sep.str);
        checkSize(out.size());
        return Value::string(std::move(out));
    }
    if (name == "int" || name == "float") {
        evalArgs();
        const bool isInt = name == "int";
        const Value fallback = option(args, 0, kwargs, "default", isInt ? Value::integer(0) : Value::floating(0));
        if (operand.type == Type::String) {
            const double v = isInt ? parseIntJs(operand.str) : parseFloatJs(operand.str);
            return std::isnan(v) ? fallback : isInt ? Value::integer(v) : Value::floating(v);
        }
        if (operand.isNumber())
            return operand;
        if (operand.type == Type::Boolean)
            return isInt ? Value::integer(operand.b ? 1 : 0) : Value::floating(operand.b ? 1 : 0);
        fail("cannot apply filter '" + name + "' to " + aType(operand.type));
    }
    if (name == "default") {
        evalArgs();
        const Value fallback = args.empty() ? Value::string("") : args[0];
        const Value boolean = option(args, 1, kwargs, "boolean", Value::boolean(false));
        if (boolean.type != Type::Boolean)
            fail("default: the boolean flag must be a boolean");
        return operand.type == Type::Undefined || (boolean.b && !truthy(operand)) ? fallback : operand;
    }
    if (operand.isArray()) {
        const Array &a = *operand.arr;
        if (name == "sort") {
            evalArgs();
            const Value reverse = option(args, 0, kwargs, "reverse", Value::boolean(false));
            const Value caseSensitive = option(args, 1, kwargs, "case_sensitive", Value::boolean(false));
            const Value attribute = option(args, 2, kwargs, "attribute", Value::null());
            if (reverse.type != Type::Boolean || caseSensitive.type != Type::Boolean)
                fail("sort: reverse and case_sensitive must be booleans");
            if (attribute.type != Type::String && attribute.type != Type::Integer && attribute.type != Type::Null)
                fail("sort: attribute must be a string, an integer or none");
            auto key = [&attribute](const Value &item) {
                if (attribute.type == Type::Null)
                    return item;
                return attributePath(item, attribute.type == Type::Integer ? jsNumber(attribute.num) : attribute.str);
            };
            Array sorted = a;
            std::stable_sort(sorted.begin(), sorted.end(), [&](const Value &x, const Value &y) {
                const int r = compareValues(key(x), key(y), caseSensitive.b);
                return (reverse.b ? -r : r) < 0;
            });
            return Value::array(std::move(sorted));
        }
        if (name == "selectattr" || name == "rejectattr") {
            const bool select = name == "selectattr";
            for (const Value &item : a)
                if (!item.isContainer())
                    fail(name + " can only be applied to a list of objects");
            for (const NodePtr &n : argNodes)
                if (n->kind != NodeKind::StringLiteral)
                    fail("the arguments of " + name + " must be strings");
            std::vector<Value> sargs;
            for (const NodePtr &n : argNodes)
                sargs.push_back(evaluate(*n, env));
            if (sargs.empty())
                fail(name + " needs an attribute name");
            Array out;
            for (const Value &item : a) {
                const Value *attr = item.obj->find(sargs[0].str);
                bool result = false;
                if (attr) {
                    if (sargs.size() > 1) {
                        bool known = false;
                        result = runTest(sargs[1].str, *attr, sargs.size() > 2 ? &sargs[2] : nullptr, known);
                        if (!known)
                            fail("unknown test '" + sargs[1].str + "'");
                    } else {
                        result = truthy(*attr);
                    }
                }
                if (select == result)
                    out.push_back(item);
            }
            return Value::array(std::move(out));
        }
        if (name == "map") {
            evalArgs();
            const Value *attr = kwargs.find("attribute");
            if (!attr)
                fail("map without attribute= is not supported");
            if (attr->type != Type::String)
                fail("map: attribute must be a string");
            const Value *fallback = kwargs.find("default");
            Array out;
            for (const Value &item : a) {
                if (!item.isContainer())
                    fail("map: the items must be objects");
                Value v = attributePath(item, attr->str);
                out.push_back(v.type == Type::Undefined && fallback ? *fallback : v);
            }
            return Value::array(std::move(out));
        }
        unknown(name, operand);
    }
    if (operand.type == Type::String) {
        if (name == "indent") {
            evalArgs();
            const Value width = option(args, 0, kwargs, "width", Value::integer(4));
            if (width.type != Type::Integer)
                fail("indent: width must be an integer");
            const Value first = option(args, 1, kwargs, "first", Value::boolean(false));
            const Value blank = option(args, 2, kwargs, "blank", Value::boolean(false));
            std::string out = indentLines(operand.str, spaces(width.num), rawTruthy(first), rawTruthy(blank));
            checkSize(out.size());
            return Value::string(std::move(out));
        }
        if (name == "replace") {
            evalArgs();
            args.push_back(Value::object(kwargs, Type::KwArgs));
            Value fn = builtinMember(operand, "replace");
            Value out = (*fn.fn)(args, env);
            checkSize(out.str.size());
            return out;
        }
        unknown(name, operand);
    }
    if (operand.isObject()) {
        Value member = builtinMember(operand, name);
        if (member.type == Type::Function) {
            evalArgs();
            if (!kwargs.entries.empty())
                args.push_back(Value::object(kwargs, Type::KwArgs));
            return (*member.fn)(args, env);
        }
        unknown(name, operand);
    }
    fail("cannot apply filter '" + name + "' to " + aType(operand.type));
}

} // namespace smartbot::engine::jinja
