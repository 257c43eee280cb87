// Builtin members (string and dict methods), tests, and the global functions of @huggingface/jinja.
#include <algorithm>
#include <cmath>
#include <ctime>

#include "jinja/error.h"
#include "jinja/interpreter.h"
#include "jinja/unicode.h"

namespace smartbot::engine::jinja {

namespace {

[[noreturn]] void fail(const std::string &message)
{
    throw JinjaError(message);
}

const Value *arg(const std::vector<Value> &args, std::size_t i)
{
    return i < args.size() ? &args[i] : nullptr;
}

// /\b\w/g -> upper case: an ASCII word character after a non-word character (or at the start).
std::string titleCase(const std::string &s)
{
    std::string out = s;
    auto word = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    };
    for (std::size_t i = 0; i < out.size(); ++i)
        if (word(out[i]) && (i == 0 || !word(out[i - 1])) && out[i] >= 'a' && out[i] <= 'z')
            out[i] = static_cast<char>(out[i] - 32);
    return out;
}

std::string capitalize(const std::string &s)
{
    if (s.empty())
        return s;
    char32_t cp = 0;
    const std::size_t len = decodeChar(s, 0, cp);
    if (cp >= 0x10000) // charAt(0) is half a surrogate pair: unchanged
        return s;
    return toUpper(s.substr(0, len)) + s.substr(len);
}

bool affix(const std::vector<Value> &args, const std::string &s, bool prefix, const char *name)
{
    const Value *p = arg(args, 0);
    if (!p)
        fail(std::string(name) + "() requires at least one argument");
    auto test = [&](const std::string &x) {
        return x.size() <= s.size() &&
               (prefix ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0);
    };
    if (p->type == Type::String)
        return test(p->str);
    if (p->isArray()) {
        for (const Value &x : *p->arr) {
            if (x.type != Type::String)
                fail(std::string(name) + "() tuple elements must be strings");
            if (test(x.str))
                return true;
        }
        return false;
    }
    fail(std::string(name) + "() argument must be a string or a tuple of strings");
}

// Python-like str.split as @huggingface/jinja implements it.
Value split(const std::vector<Value> &args, const std::string &s)
{
    const Value sep = arg(args, 0) ? *arg(args, 0) : Value::null();
    if (sep.type != Type::String && sep.type != Type::Null)
        fail("split(): sep must be a string or none");
    const Value maxsplit = arg(args, 1) ? *arg(args, 1) : Value::integer(-1);
    if (maxsplit.type != Type::Integer)
        fail("split(): maxsplit must be an integer");
    const double max = maxsplit.num;
    std::vector<std::string> parts;
    if (sep.type == Type::Null) {
        const std::string_view text = trimStart(s);
        std::size_t pos = 0;
        while (pos < text.size()) {
            const std::size_t start = pos;
            while (pos < text.size() && !jsSpaceAt(text, pos)) {
                char32_t cp = 0;
                pos += decodeChar(text, pos, cp);
            }
            if (pos > start) {
                if (max != -1 && static_cast<double>(parts.size()) >= max) {
                    parts.emplace_back(text.substr(start));
                    break;
                }
                parts.emplace_back(text.substr(start, pos - start));
            }
            while (std::size_t n = jsSpaceAt(text, pos))
                pos += n;
        }
    } else {
        if (sep.str.empty())
            fail("split(): empty separator");
        std::size_t start = 0;
        for (std::size_t hit = s.find(sep.str); hit != std::string::npos; hit = s.find(sep.str, start)) {
            parts.push_back(s.substr(start, hit - start));
            start = hit + sep.str.size();
        }
        parts.push_back(s.substr(start));
        if (max != -1 && static_cast<double>(parts.size()) > max) {
            // Array#splice(max): a negative start counts from the end
            const double n = static_cast<double>(parts.size());
            const std::size_t keep = static_cast<std::size_t>(max < 0 ? std::max(n + max, 0.0) : max);
            std::string rest;
            for (std::size_t i = keep; i < parts.size(); ++i)
                rest += (i > keep ? sep.str : std::string()) + parts[i];
            parts.resize(keep);
            parts.push_back(rest);
        }
    }
    Array out;
    for (std::string &p : parts)
        out.push_back(Value::string(std::move(p)));
    return Value::array(std::move(out));
}

Value replace(const std::vector<Value> &args, const std::string &s)
{
    if (args.size() < 2)
        fail("replace() requires at least two arguments");
    if (args[0].type != Type::String || args[1].type != Type::String)
        fail("replace() arguments must be strings");
    Value count = Value::null();
    if (args.size() > 2) {
        if (args[2].type == Type::KwArgs) {
            const Value *c = args[2].obj->find("count");
            count = c ? *c : Value::null();
        } else {
            count = args[2];
        }
    }
    if (count.type != Type::Integer && count.type != Type::Null)
        fail("replace() count must be an integer or none");
    double remaining = count.type == Type::Null || count.num < 0 ? INFINITY : count.num;
    const std::string &from = args[0].str, &to = args[1].str;
    if (remaining == 0)
        return Value::string(s);
    // Size of the result, checked before building it.
    double matches = 0;
    if (from.empty()) {
        matches = static_cast<double>(splitChars(s).size()) + 1;
    } else {
        for (std::size_t hit = s.find(from); hit != std::string::npos && matches < remaining;
             hit = s.find(from, hit + from.size()))
            ++matches;
    }
    matches = std::min(matches, remaining);
    if (static_cast<double>(s.size()) + matches * static_cast<double>(to.size()) > static_cast<double>(kMaxStringBytes))
        fail("replace(): result too large (more than " + std::to_string(kMaxStringBytes) + " bytes)");
    std::string out;
    if (from.empty()) { // matches before every character and at the end
        for (std::size_t pos = 0;;) {
            if (remaining > 0) {
                out += to;
                --remaining;
            }
            if (pos >= s.size())
                break;
            char32_t cp = 0;
            const std::size_t len = decodeChar(s, pos, cp);
            out.append(s, pos, len);
            pos += len;
        }
        return Value::string(std::move(out));
    }
    std::size_t pos = 0;
    for (std::size_t hit = s.find(from); hit != std::string::npos && remaining > 0; hit = s.find(from, pos)) {
        out.append(s, pos, hit - pos);
        out += to;
        pos = hit + from.size();
        --remaining;
    }
    out.append(s, pos, std::string::npos);
    return Value::string(std::move(out));
}

Value pairsOf(const Object &o)
{
    Array items;
    for (const auto &[k, v] : o.entries)
        items.push_back(Value::array({Value::string(k), v}));
    return Value::array(std::move(items));
}

Value dictsort(const std::vector<Value> &args, const Object &o)
{
    std::vector<Value> positional;
    Object kwargs;
    for (const Value &a : args) {
        if (a.type == Type::KwArgs)
            kwargs = *a.obj;
        else
            positional.push_back(a);
    }
    auto option = [&](std::size_t i, const char *key, Value fallback) {
        if (i < positional.size())
            return positional[i];
        const Value *v = kwargs.find(key);
        return v ? *v : fallback;
    };
    const Value caseSensitive = option(0, "case_sensitive", Value::boolean(false));
    if (caseSensitive.type != Type::Boolean)
        fail("dictsort: case_sensitive must be a boolean");
    const Value by = option(1, "by", Value::string("key"));
    if (by.type != Type::String || (by.str != "key" && by.str != "value"))
        fail("dictsort: by must be 'key' or 'value'");
    const Value reverse = option(2, "reverse", Value::boolean(false));
    if (reverse.type != Type::Boolean)
        fail("dictsort: reverse must be a boolean");
    Array items = *pairsOf(o).arr;
    const std::size_t index = by.str == "key" ? 0 : 1;
    std::stable_sort(items.begin(), items.end(), [&](const Value &a, const Value &b) {
        const int r = compareValues((*a.arr)[index], (*b.arr)[index], caseSensitive.b);
        return (reverse.b ? -r : r) < 0;
    });
    return Value::array(std::move(items));
}

using Method = Value (*)(std::vector<Value> &, const Value &);

Value bound(const Value &self, Method m)
{
    return Value::function([self, m](std::vector<Value> &args, const EnvPtr &) { return m(args, self); });
}

std::string monthName(int month, bool full)
{
    static const char *names[] = {"January", "February", "March",     "April",   "May",      "June",
                                  "July",    "August",   "September", "October", "November", "December"};
    const std::string n = names[month];
    return full ? n : n.substr(0, 3);
}

std::string strftimeNow(const std::string &format)
{
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    auto pad2 = [](int n) { return (n < 10 ? "0" : "") + std::to_string(n); };
    std::string out;
    for (std::size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%' || i + 1 >= format.size()) {
            out += format[i];
            continue;
        }
        const char c = format[i + 1];
        switch (c) {
        case 'Y':
            out += std::to_string(tm.tm_year + 1900);
            break;
        case 'm':
            out += pad2(tm.tm_mon + 1);
            break;
        case 'd':
            out += pad2(tm.tm_mday);
            break;
        case 'b':
            out += monthName(tm.tm_mon, false);
            break;
        case 'B':
            out += monthName(tm.tm_mon, true);
            break;
        case 'H':
            out += pad2(tm.tm_hour);
            break;
        case 'M':
            out += pad2(tm.tm_min);
            break;
        case '%':
            out += '%';
            break;
        default:
            out += format.substr(i, 2);
            break;
        }
        ++i;
    }
    return out;
}

} // namespace

Value namespaceBuiltin()
{
    static const Value fn = Value::function([](std::vector<Value> &args, const EnvPtr &) {
        std::vector<Value> positional = args;
        Object entries;
        Object kwargs;
        if (!positional.empty() && positional.back().type == Type::KwArgs) {
            kwargs = *positional.back().obj;
            positional.pop_back();
        }
        if (positional.size() > 1)
            fail("namespace() expected at most 1 argument, got " + std::to_string(positional.size()));
        if (positional.size() == 1) {
            const Value &source = positional[0];
            if (source.isObject()) {
                entries = *source.obj;
            } else if (source.isArray()) {
                for (const Value &pair : *source.arr) {
                    std::vector<Value> kv;
                    if (pair.isArray())
                        kv = *pair.arr;
                    else if (pair.type == Type::String)
                        for (std::string &c : splitChars(pair.str))
                            kv.push_back(Value::string(std::move(c)));
                    if (kv.size() != 2)
                        fail("namespace() expected an object or an iterable of [key, value] pairs");
                    if (kv[0].type != Type::String)
                        fail("namespace() keys must be strings");
                    entries.set(kv[0].str, kv[1]);
                }
            } else {
                fail(std::string("namespace(): ") + aType(source.type) + " is not iterable");
            }
        }
        for (const auto &[k, v] : kwargs.entries)
            entries.set(k, v);
        return Value::object(std::move(entries), Type::Namespace);
    });
    return fn;
}

Value builtinMember(const Value &self, const std::string &name)
{
    if (self.type == Type::String) {
        if (name == "length")
            return Value::integer(static_cast<double>(utf16Length(self.str)));
        static const std::vector<std::pair<std::string, Method>> methods = {
            {"upper", [](std::vector<Value> &, const Value &s) { return Value::string(toUpper(s.str)); }},
            {"lower", [](std::vector<Value> &, const Value &s) { return Value::string(toLower(s.str)); }},
            {"strip", [](std::vector<Value> &, const Value &s) { return Value::string(std::string(trim(s.str))); }},
            {"title", [](std::vector<Value> &, const Value &s) { return Value::string(titleCase(s.str)); }},
            {"capitalize", [](std::vector<Value> &, const Value &s) { return Value::string(capitalize(s.str)); }},
            {"rstrip", [](std::vector<Value> &, const Value &s) { return Value::string(std::string(trimEnd(s.str))); }},
            {"lstrip",
             [](std::vector<Value> &, const Value &s) { return Value::string(std::string(trimStart(s.str))); }},
            {"startswith",
             [](std::vector<Value> &a, const Value &s) { return Value::boolean(affix(a, s.str, true, "startswith")); }},
            {"endswith",
             [](std::vector<Value> &a, const Value &s) { return Value::boolean(affix(a, s.str, false, "endswith")); }},
            {"split", [](std::vector<Value> &a, const Value &s) { return split(a, s.str); }},
            {"replace", [](std::vector<Value> &a, const Value &s) { return replace(a, s.str); }},
        };
        for (const auto &[n, m] : methods)
            if (n == name)
                return bound(self, m);
        return Value::undefined();
    }
    if (self.isArray())
        return name == "length" ? Value::integer(static_cast<double>(self.arr->size())) : Value::undefined();
    if (self.isObject()) {
        if (name == "get")
            return bound(self, [](std::vector<Value> &a, const Value &o) {
                if (a.empty() || a[0].type != Type::String)
                    fail(std::string("get(): the key must be a string, got ") +
                         aType(a.empty() ? Type::Undefined : a[0].type));
                if (const Value *v = o.obj->find(a[0].str))
                    return *v;
                return a.size() > 1 ? a[1] : Value::null();
            });
        if (name == "items")
            return bound(self, [](std::vector<Value> &, const Value &o) { return pairsOf(*o.obj); });
        if (name == "keys")
            return bound(self, [](std::vector<Value> &, const Value &o) {
                Array keys;
                for (const auto &[k, v] : o.obj->entries)
                    keys.push_back(Value::string(k));
                return Value::array(std::move(keys));
            });
        if (name == "values")
            return bound(self, [](std::vector<Value> &, const Value &o) {
                Array values;
                for (const auto &[k, v] : o.obj->entries)
                    values.push_back(v);
                return Value::array(std::move(values));
            });
        if (name == "dictsort")
            return bound(self, [](std::vector<Value> &a, const Value &o) { return dictsort(a, *o.obj); });
    }
    return Value::undefined();
}

bool runTest(const std::string &name, const Value &v, const Value *argument, bool &known)
{
    known = true;
    const Type t = v.type;
    if (name == "boolean")
        return t == Type::Boolean;
    if (name == "callable")
        return t == Type::Function;
    if (name == "odd" || name == "even") {
        if (t != Type::Integer)
            fail("cannot test " + name + " on " + aType(t));
        const bool odd = std::fmod(v.num, 2) != 0;
        return name == "odd" ? odd : !odd;
    }
    if (name == "false")
        return t == Type::Boolean && !v.b;
    if (name == "true")
        return t == Type::Boolean && v.b;
    if (name == "none")
        return t == Type::Null;
    if (name == "string")
        return t == Type::String;
    if (name == "number")
        return v.isNumber();
    if (name == "integer")
        return t == Type::Integer;
    if (name == "iterable")
        return t == Type::Array || t == Type::String;
    if (name == "mapping")
        return v.isObject();
    if (name == "sequence")
        return v.isArray() || v.isObject() || t == Type::String;
    if (name == "lower")
        return t == Type::String && v.str == toLower(v.str);
    if (name == "upper")
        return t == Type::String && v.str == toUpper(v.str);
    if (name == "defined")
        return t != Type::Undefined;
    if (name == "undefined")
        return t == Type::Undefined;
    if (name == "equalto" || name == "eq")
        return strictEquals(v, argument ? *argument : Value::undefined());
    known = false;
    return false;
}

int compareValues(const Value &a, const Value &b, bool caseSensitive)
{
    if (a.type == Type::Null && b.type == Type::Null)
        return 0;
    if (a.type == Type::Null || b.type == Type::Null)
        fail(std::string("cannot compare ") + aType(a.type) + " with " + aType(b.type));
    if (a.type == Type::Undefined && b.type == Type::Undefined)
        return 0;
    if (a.type == Type::Undefined || b.type == Type::Undefined)
        fail(std::string("cannot compare ") + aType(a.type) + " with " + aType(b.type));
    auto numeric = [](const Value &v) { return v.isNumber() || v.type == Type::Boolean; };
    if (numeric(a) && numeric(b)) {
        const double x = a.type == Type::Boolean ? a.b : a.num, y = b.type == Type::Boolean ? b.b : b.num;
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.type != b.type)
        fail(std::string("cannot compare ") + aType(a.type) + " with " + aType(b.type));
    if (a.type != Type::String)
        fail(std::string("cannot compare values of type ") + typeName(a.type));
    return caseSensitive ? utf16Compare(a.str, b.str) : utf16Compare(toLower(a.str), toLower(b.str));
}

Value attributePath(const Value &item, const std::string &path)
{
    Value v = item;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = path.find('.', start);
        const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (v.isContainer()) {
            const Value *x = v.obj->find(part);
            v = x ? *x : Value::undefined();
        } else if (v.isArray()) {
            // parseInt(part, 10): leading digits
            std::size_t digits = 0;
            while (digits < part.size() && part[digits] >= '0' && part[digits] <= '9')
                ++digits;
            if (digits == 0 || digits > 9)
                return Value::undefined();
            const std::size_t index = std::stoul(part.substr(0, digits));
            if (index >= v.arr->size())
                return Value::undefined();
            v = (*v.arr)[index];
        } else {
            return Value::undefined();
        }
        if (dot == std::string::npos)
            return v;
        start = dot + 1;
    }
}

EnvPtr makeGlobals(Interpreter &interpreter, const Value &variables)
{
    auto env = std::make_shared<Env>();
    env->set("false", Value::boolean(false));
    env->set("true", Value::boolean(true));
    env->set("none", Value::null());
    env->set("False", Value::boolean(false));
    env->set("True", Value::boolean(true));
    env->set("None", Value::null());
    env->set("raise_exception", Value::function([](std::vector<Value> &args, const EnvPtr &) -> Value {
                 throw JinjaError("raise_exception: " +
                                  (args.empty() || args[0].isNullish() ? std::string() : jsString(args[0])));
             }));
    env->set("range", Value::function([&interpreter](std::vector<Value> &args, const EnvPtr &) {
                 for (const Value &a : args)
                     if (!a.isNumber())
                         fail("range() arguments must be numbers");
                 double start = args.size() > 0 ? args[0].num : 0, stop = 0, step = args.size() > 2 ? args[2].num : 1;
                 if (args.size() < 2) {
                     stop = start;
                     start = 0;
                 } else {
                     stop = args[1].num;
                 }
                 if (step == 0)
                     fail("range() step must not be zero");
                 Array out;
                 for (double i = start; step > 0 ? i < stop : i > stop; i += step) {
                     interpreter.countIterations(1);
                     out.push_back(i == std::trunc(i) ? Value::integer(i) : Value::floating(i));
                 }
                 return Value::array(std::move(out));
             }));
    env->set("strftime_now", Value::function([](std::vector<Value> &args, const EnvPtr &) {
                 return Value::string(strftimeNow(args.empty() ? std::string() : jsString(args[0])));
             }));
    if (variables.isObject()) {
        for (const auto &[k, v] : variables.obj->entries) {
            if (env->vars.count(k) || k == "namespace")
                fail("variable '" + k + "' is already declared (it is a global of the template language)");
            env->set(k, v);
        }
    }
    return env;
}

} // namespace smartbot::engine::jinja
