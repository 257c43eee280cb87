#include "jinja/interpreter.h"

#include <algorithm>
#include <cmath>

#include "jinja/error.h"
#include "jinja/unicode.h"

namespace smartbot::engine::jinja {

Value namespaceBuiltin(); // jinja_builtins.cpp

namespace {

[[noreturn]] void fail(const std::string &message)
{
    throw JinjaError(message);
}

// JS Array#slice-like stepping used by @huggingface/jinja for x[a:b:c] (with its own clamping rules).
template <typename T>
std::vector<T> jsSlice(const std::vector<T> &array, const Value &startV, const Value &stopV, const Value &stepV)
{
    const double len = static_cast<double>(array.size());
    const double step = stepV.type == Type::Integer ? stepV.num : 1;
    const int direction = step > 0 ? 1 : step < 0 ? -1 : 0;
    const bool hasStart = startV.type == Type::Integer, hasStop = stopV.type == Type::Integer;
    double start = 0, stop = 0;
    if (direction >= 0) {
        start = hasStart ? startV.num : 0;
        start = start < 0 ? std::max(len + start, 0.0) : std::min(start, len);
        stop = hasStop ? stopV.num : len;
        stop = stop < 0 ? std::max(len + stop, 0.0) : std::min(stop, len);
    } else {
        start = hasStart ? startV.num : len - 1;
        start = start < 0 ? std::max(len + start, -1.0) : std::min(start, len - 1);
        stop = hasStop ? stopV.num : -1;
        stop = stop < -1 ? std::max(len + stop, -1.0) : std::min(stop, len - 1);
    }
    std::vector<T> out;
    if (direction == 0)
        return out;
    for (double i = start; direction * i < direction * stop; i += step)
        out.push_back(array[static_cast<std::size_t>(i)]);
    return out;
}

double numericValue(const Value &v)
{
    return v.type == Type::Boolean ? (v.b ? 1 : 0) : v.num;
}
bool numericLike(const Value &v)
{
    return v.isNumber() || v.type == Type::Boolean;
}

} // namespace

Value Env::lookup(const std::string &name) const
{
    for (const Env *e = this; e; e = e->parent.get()) {
        const auto it = e->vars.find(name);
        if (it != e->vars.end())
            return it->second;
        if (name == "namespace") // every scope has its own namespace() (as in the original)
            return namespaceBuiltin();
    }
    return Value::undefined();
}

void Interpreter::checkSize(std::size_t bytes) const
{
    if (bytes > limits_.maxOutputBytes)
        fail("output too large (more than " + std::to_string(limits_.maxOutputBytes) + " bytes)");
}

void Interpreter::countIterations(std::size_t n)
{
    iterations_ += n;
    if (iterations_ > limits_.maxLoopIterations)
        fail("too many loop iterations (more than " + std::to_string(limits_.maxLoopIterations) + ")");
}

void Interpreter::rememberMutated(const std::shared_ptr<Object> &ns)
{
    mutated_.emplace(ns.get(), ns);
}

void Interpreter::releaseMutated()
{
    // Move the map out first: destroying entries can destroy other namespaces, never this map.
    auto mutated = std::move(mutated_);
    mutated_.clear();
    for (auto &[raw, weak] : mutated)
        if (const std::shared_ptr<Object> ns = weak.lock())
            ns->entries.clear();
}

std::string Interpreter::render(const Node &program, const EnvPtr &globals)
{
    iterations_ = 0;
    callDepth_ = 0;
    struct Release {
        Interpreter &self;
        ~Release() { self.releaseMutated(); }
    } release{*this};
    try {
        return evaluateBlock(program.body, globals);
    } catch (const BreakSignal &) {
        throw JinjaError("'break' outside of a loop");
    } catch (const ContinueSignal &) {
        throw JinjaError("'continue' outside of a loop");
    }
}

Value Interpreter::evaluate(const Node &node, const EnvPtr &env)
{
    try {
        return evaluateInner(node, env);
    } catch (JinjaError &e) {
        if (e.pos == kNoPosition)
            e.pos = node.pos;
        throw;
    }
}

std::string Interpreter::evaluateBlock(const std::vector<NodePtr> &statements, const EnvPtr &env)
{
    std::string result;
    for (const NodePtr &s : statements) {
        const Value v = evaluate(*s, env);
        if (!v.isNullish()) {
            result += v.type == Type::String ? v.str : display(v);
            checkSize(result.size());
        }
    }
    return result;
}

void Interpreter::evaluateArguments(const std::vector<NodePtr> &args, const EnvPtr &env, std::vector<Value> &positional,
                                    Object &kwargs)
{
    for (const NodePtr &arg : args) {
        if (arg->kind == NodeKind::Spread) {
            const Value v = evaluate(*arg->a, env);
            if (!v.isArray())
                fail(std::string("cannot unpack ") + aType(v.type));
            positional.insert(positional.end(), v.arr->begin(), v.arr->end());
        } else if (arg->kind != NodeKind::KeywordArgument && arg->kind != NodeKind::KeywordSpread) {
            positional.push_back(evaluate(*arg, env));
        }
    }
    auto add = [&kwargs](const std::string &key, Value v) {
        if (kwargs.find(key))
            fail("got multiple values for keyword argument '" + key + "'");
        kwargs.entries.emplace_back(key, std::move(v));
    };
    for (const NodePtr &arg : args) {
        if (arg->kind == NodeKind::KeywordArgument) {
            add(arg->str, evaluate(*arg->a, env));
        } else if (arg->kind == NodeKind::KeywordSpread) {
            const Value v = evaluate(*arg->a, env);
            if (!v.isObject())
                fail(std::string("argument after ** must be a mapping, not ") + aType(v.type));
            for (const auto &[k, x] : v.obj->entries)
                add(k, x);
        }
    }
}

Value Interpreter::evaluateInner(const Node &node, const EnvPtr &env)
{
    switch (node.kind) {
    case NodeKind::Program:
        return Value::string(evaluateBlock(node.body, env));
    case NodeKind::Set:
        return evaluateSet(node, env);
    case NodeKind::If:
        return Value::string(evaluateBlock(truthy(evaluate(*node.a, env)) ? node.body : node.alternate, env));
    case NodeKind::For:
        return evaluateFor(node, env);
    case NodeKind::Macro:
        return evaluateMacro(node, env);
    case NodeKind::Break:
        throw BreakSignal{};
    case NodeKind::Continue:
        throw ContinueSignal{};
    case NodeKind::Comment:
        return Value::null();
    case NodeKind::FilterStatement:
        return applyFilter(Value::string(evaluateBlock(node.body, env)), *node.a, env);
    case NodeKind::Text:
    case NodeKind::StringLiteral:
        return Value::string(node.str);
    case NodeKind::IntegerLiteral:
        return Value::integer(node.number);
    case NodeKind::FloatLiteral:
        return Value::floating(node.number);
    case NodeKind::ArrayLiteral:
    case NodeKind::TupleLiteral: {
        Array items;
        for (const NodePtr &item : node.items)
            items.push_back(evaluate(*item, env));
        return Value::array(std::move(items), node.kind == NodeKind::TupleLiteral ? Type::Tuple : Type::Array);
    }
    case NodeKind::ObjectLiteral: {
        Object o;
        for (std::size_t i = 0; i + 1 < node.items.size(); i += 2) {
            const Value key = evaluate(*node.items[i], env);
            if (key.type != Type::String)
                fail(std::string("object keys must be strings, got ") + aType(key.type));
            o.set(key.str, evaluate(*node.items[i + 1], env));
        }
        return Value::object(std::move(o));
    }
    case NodeKind::Identifier:
        return env->lookup(node.str);
    case NodeKind::Call:
        return evaluateCall(node, env);
    case NodeKind::Member:
        return evaluateMember(node, env);
    case NodeKind::Unary: {
        const Value arg = evaluate(*node.a, env);
        if (node.str == "not")
            return Value::boolean(!truthy(arg));
        if (!numericLike(arg))
            fail("unknown operator '" + node.str + "' for " + aType(arg.type));
        const double r = (node.str == "-" ? -1.0 : 1.0) * numericValue(arg);
        return arg.type == Type::Float ? Value::floating(r) : Value::integer(r);
    }
    case NodeKind::Binary:
        return evaluateBinary(node, env);
    case NodeKind::Filter:
        return applyFilter(evaluate(*node.a, env), *node.b, env);
    case NodeKind::Test:
        return evaluateTest(node, env);
    case NodeKind::Select:
        return truthy(evaluate(*node.b, env)) ? evaluate(*node.a, env) : Value::undefined();
    case NodeKind::Ternary:
        return truthy(evaluate(*node.a, env)) ? evaluate(*node.b, env) : evaluate(*node.c, env);
    case NodeKind::Slice:
    case NodeKind::KeywordArgument:
    case NodeKind::Spread:
    case NodeKind::KeywordSpread:
        break;
    }
    fail("unexpected expression here");
}

Value Interpreter::evaluateBinary(const Node &node, const EnvPtr &env)
{
    const std::string &op = node.str;
    const Value left = evaluate(*node.a, env);
    if (op == "and")
        return truthy(left) ? evaluate(*node.b, env) : left;
    if (op == "or")
        return truthy(left) ? left : evaluate(*node.b, env);
    const Value right = evaluate(*node.b, env);
    if (op == "==")
        return Value::boolean(looseEquals(left, right));
    if (op == "!=")
        return Value::boolean(!looseEquals(left, right));
    const bool membership = op == "in" || op == "not in";
    if (left.type == Type::Undefined || right.type == Type::Undefined) {
        if (right.type == Type::Undefined && membership)
            return Value::boolean(op == "not in");
        fail("cannot perform operation '" + op + "' on undefined values");
    }
    if (left.type == Type::Null || right.type == Type::Null)
        fail("cannot perform operation '" + op + "' on none");
    if (op == "~") {
        std::string s = jsString(left) + jsString(right);
        checkSize(s.size());
        return Value::string(std::move(s));
    }
    if (op == "**" && numericLike(left) && numericLike(right)) {
        const double a = numericValue(left), b = numericValue(right);
        if (a == 0 && b < 0)
            fail("0.0 cannot be raised to a negative power");
        const double r = (std::fabs(a) == 1 && std::isinf(b)) ? NAN : std::pow(a, b);
        if (!std::isfinite(r))
            fail("exponentiation result is not a finite real number");
        return left.type == Type::Float || right.type == Type::Float || b < 0 ? Value::floating(r) : Value::integer(r);
    }
    if (left.isNumber() && right.isNumber()) {
        const double a = left.num, b = right.num;
        const bool isFloat = left.type == Type::Float || right.type == Type::Float;
        auto number = [isFloat](double r) { return isFloat ? Value::floating(r) : Value::integer(r); };
        if (op == "+")
            return number(a + b);
        if (op == "-")
            return number(a - b);
        if (op == "*")
            return number(a * b);
        if (op == "/")
            return Value::floating(a / b);
        if (op == "//")
            return number(std::floor(a / b));
        if (op == "%")
            return number(std::fmod(a, b));
        if (op == "<")
            return Value::boolean(a < b);
        if (op == ">")
            return Value::boolean(a > b);
        if (op == ">=")
            return Value::boolean(a >= b);
        if (op == "<=")
            return Value::boolean(a <= b);
    } else if (left.isArray() && right.isArray()) {
        if (op == "+") {
            if (left.arr->size() + right.arr->size() > limits_.maxLoopIterations)
                fail("list too large (more than " + std::to_string(limits_.maxLoopIterations) + " items)");
            Array items = *left.arr;
            items.insert(items.end(), right.arr->begin(), right.arr->end());
            return Value::array(std::move(items));
        }
    } else if (right.isArray() && membership) {
        const bool member = std::any_of(right.arr->begin(), right.arr->end(),
                                        [&left](const Value &x) { return strictEquals(x, left); });
        return Value::boolean(op == "in" ? member : !member);
    }
    if ((left.type == Type::String || right.type == Type::String) && op == "+") {
        std::string s = jsString(left) + jsString(right);
        checkSize(s.size());
        return Value::string(std::move(s));
    }
    if (left.type == Type::String && right.type == Type::String && membership) {
        const bool found = right.str.find(left.str) != std::string::npos;
        return Value::boolean(op == "in" ? found : !found);
    }
    if (left.type == Type::String && right.isObject() && membership) {
        const bool found = right.obj->find(left.str) != nullptr;
        return Value::boolean(op == "in" ? found : !found);
    }
    fail("unknown operator '" + op + "' between " + aType(left.type) + " and " + aType(right.type));
}

Value Interpreter::evaluateSlice(const Value &object, const Node &slice, const EnvPtr &env)
{
    if (!object.isArray() && object.type != Type::String)
        fail(std::string("cannot slice ") + aType(object.type));
    Value bounds[3];
    const Node *parts[3] = {slice.a.get(), slice.b.get(), slice.c.get()};
    for (int i = 0; i < 3; ++i) {
        bounds[i] = parts[i] ? evaluate(*parts[i], env) : Value::undefined();
        if (bounds[i].type != Type::Integer && bounds[i].type != Type::Undefined)
            fail("slice indices must be integers");
    }
    if (object.isArray())
        return Value::array(jsSlice(*object.arr, bounds[0], bounds[1], bounds[2]));
    std::string out;
    for (const std::string &c : jsSlice(splitChars(object.str), bounds[0], bounds[1], bounds[2]))
        out += c;
    return Value::string(std::move(out));
}

Value Interpreter::evaluateMember(const Node &node, const EnvPtr &env)
{
    const Value object = evaluate(*node.a, env);
    Value property;
    if (node.flag) {
        if (node.b->kind == NodeKind::Slice)
            return evaluateSlice(object, *node.b, env);
        property = evaluate(*node.b, env);
    } else if (node.b->kind == NodeKind::IntegerLiteral) {
        property = Value::integer(node.b->number);
    } else {
        property = Value::string(node.b->str);
    }
    if (object.isContainer()) {
        if (property.type != Type::String)
            fail(std::string("cannot access an attribute with ") + aType(property.type));
        if (const Value *v = object.obj->find(property.str))
            return *v;
        return object.isObject() ? builtinMember(object, property.str) : Value::undefined();
    }
    if (object.isArray() || object.type == Type::String) {
        if (property.type == Type::Integer) {
            if (object.type == Type::String) {
                auto c = utf16At(object.str, property.num);
                return c ? Value::string(std::move(*c)) : Value::undefined();
            }
            double i = std::trunc(property.num);
            const double len = static_cast<double>(object.arr->size());
            if (i < 0)
                i += len;
            return i >= 0 && i < len ? (*object.arr)[static_cast<std::size_t>(i)] : Value::undefined();
        }
        if (property.type == Type::String)
            return builtinMember(object, property.str);
        fail(std::string("cannot index ") + aType(object.type) + " with " + aType(property.type));
    }
    if (property.type != Type::String)
        fail(std::string("cannot access an attribute with ") + aType(property.type));
    return builtinMember(object, property.str);
}

Value Interpreter::evaluateCall(const Node &node, const EnvPtr &env)
{
    std::vector<Value> args;
    Object kwargs;
    evaluateArguments(node.items, env, args, kwargs);
    if (!kwargs.entries.empty())
        args.push_back(Value::object(std::move(kwargs), Type::KwArgs));
    const Value fn = evaluate(*node.a, env);
    if (fn.type != Type::Function)
        fail((node.a->kind == NodeKind::Identifier ? "'" + node.a->str + "' is" : std::string("this is")) +
             " not a function (it is " + aType(fn.type) + ")");
    return (*fn.fn)(args, env);
}

Value Interpreter::evaluateTest(const Node &node, const EnvPtr &env)
{
    const Value operand = evaluate(*node.a, env);
    bool known = false;
    const bool r = runTest(node.str, operand, nullptr, known);
    if (!known)
        fail("unknown test '" + node.str + "'");
    return Value::boolean(node.flag ? !r : r);
}

} // namespace smartbot::engine::jinja
