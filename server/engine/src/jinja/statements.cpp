// Statements with scopes and bindings: for loops, set, macro definitions.
#include <algorithm>
#include <set>

#include "jinja/error.h"
#include "jinja/interpreter.h"

namespace smartbot::engine::jinja {

namespace {

[[noreturn]] void fail(const std::string &message)
{
    throw JinjaError(message);
}

// Identifiers named kwargs / varargs used in a macro body that are not its parameters.
void findSpecialArguments(const Node &n, std::set<std::string> &found)
{
    if (n.kind == NodeKind::Identifier && (n.str == "kwargs" || n.str == "varargs"))
        found.insert(n.str);
    for (const Node *child : {n.a.get(), n.b.get(), n.c.get()})
        if (child)
            findSpecialArguments(*child, found);
    for (const auto *list : {&n.items, &n.body, &n.alternate})
        for (const NodePtr &child : *list)
            findSpecialArguments(*child, found);
}

} // namespace

Value Interpreter::evaluateFor(const Node &node, const EnvPtr &env)
{
    auto scope = std::make_shared<Env>(env);
    const Node *test = nullptr;
    Value iterable;
    if (node.b->kind == NodeKind::Select) {
        iterable = evaluate(*node.b->a, scope);
        test = node.b->b.get();
    } else {
        iterable = evaluate(*node.b, scope);
    }
    if (iterable.isObject()) {
        Array keys;
        for (const auto &[k, v] : iterable.obj->entries)
            keys.push_back(Value::string(k));
        iterable = Value::array(std::move(keys));
    } else if (!iterable.isArray()) {
        fail(std::string("cannot loop over ") + aType(iterable.type));
    }
    const Node &var = *node.a;
    auto bind = [&var](Env &target, const Value &current) {
        if (var.kind == NodeKind::Identifier) {
            target.set(var.str, current);
            return;
        }
        if (current.type != Type::Array)
            fail(std::string("cannot unpack ") + aType(current.type) + " into the loop variables");
        if (current.arr->size() != var.items.size())
            fail(std::string("too ") + (var.items.size() > current.arr->size() ? "few" : "many") + " items to unpack");
        for (std::size_t j = 0; j < var.items.size(); ++j) {
            if (var.items[j]->kind != NodeKind::Identifier)
                fail("cannot unpack into a non-identifier");
            target.set(var.items[j]->str, (*current.arr)[j]);
        }
    };
    Array items;
    for (const Value &current : *iterable.arr) {
        countIterations(1);
        if (test) {
            auto loopScope = std::make_shared<Env>(scope);
            bind(*loopScope, current);
            if (!truthy(evaluate(*test, loopScope)))
                continue;
        }
        items.push_back(current);
    }
    std::string result;
    bool noIteration = true;
    const double n = static_cast<double>(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        countIterations(1);
        const double d = static_cast<double>(i);
        Object loop;
        loop.entries = {{"index", Value::integer(d + 1)},
                        {"index0", Value::integer(d)},
                        {"revindex", Value::integer(n - d)},
                        {"revindex0", Value::integer(n - d - 1)},
                        {"first", Value::boolean(i == 0)},
                        {"last", Value::boolean(i + 1 == items.size())},
                        {"length", Value::integer(n)},
                        {"previtem", i > 0 ? items[i - 1] : Value::undefined()},
                        {"nextitem", i + 1 < items.size() ? items[i + 1] : Value::undefined()}};
        scope->set("loop", Value::object(std::move(loop)));
        bind(*scope, items[i]);
        try {
            result += evaluateBlock(node.body, scope);
            checkSize(result.size());
        } catch (const ContinueSignal &) {
            continue;
        } catch (const BreakSignal &) {
            break;
        }
        noIteration = false;
    }
    if (noIteration)
        result += evaluateBlock(node.alternate, scope);
    return Value::string(std::move(result));
}

Value Interpreter::evaluateSet(const Node &node, const EnvPtr &env)
{
    const Value rhs = node.b ? evaluate(*node.b, env) : Value::string(evaluateBlock(node.body, env));
    const Node &target = *node.a;
    if (target.kind == NodeKind::Identifier) {
        env->set(target.str, rhs);
    } else if (target.kind == NodeKind::TupleLiteral) {
        if (!rhs.isArray())
            fail(std::string("cannot unpack ") + aType(rhs.type) + " in set");
        if (rhs.arr->size() != target.items.size())
            fail(std::string("too ") + (target.items.size() > rhs.arr->size() ? "few" : "many") +
                 " items to unpack in set");
        for (std::size_t i = 0; i < target.items.size(); ++i) {
            if (target.items[i]->kind != NodeKind::Identifier)
                fail("cannot unpack into a non-identifier in set");
            env->set(target.items[i]->str, (*rhs.arr)[i]);
        }
    } else if (target.kind == NodeKind::Member) {
        const Value object = evaluate(*target.a, env);
        if (object.type != Type::Namespace)
            fail(std::string("cannot assign an attribute of ") + aType(object.type) + " (only of a namespace)");
        if (target.b->kind != NodeKind::Identifier)
            fail("cannot assign to a member that is not an identifier");
        // Namespaces are the only mutable values: keep their nesting depth bounded (and self-references finite).
        object.obj->nest = std::max(object.obj->nest, nestingOf(rhs) + 1);
        if (object.obj->nest > kMaxValueNesting)
            fail("values nested too deeply (more than " + std::to_string(kMaxValueNesting) + " levels)");
        rememberMutated(object.obj);
        object.obj->set(target.b->str, rhs);
    } else {
        fail("invalid left-hand side of an assignment");
    }
    return Value::null();
}

Value Interpreter::evaluateMacro(const Node &node, const EnvPtr &env)
{
    std::set<std::string> special;
    for (const NodePtr &b : node.body)
        findSpecialArguments(*b, special);
    for (const NodePtr &p : node.items)
        special.erase(p->str);
    const Node *macro = &node;
    env->set(
        node.str, Value::function([this, macro, special](std::vector<Value> &args, const EnvPtr &caller) {
            if (++callDepth_ > limits_.maxCallDepth) {
                --callDepth_;
                fail("macro calls nested too deeply (more than " + std::to_string(limits_.maxCallDepth) + ")");
            }
            struct Unwind {
                int &depth;
                ~Unwind() { --depth; }
            } unwind{callDepth_};
            auto scope = std::make_shared<Env>(caller);
            std::vector<Value> positional = args;
            Object kwargs;
            if (!positional.empty() && positional.back().type == Type::KwArgs) {
                kwargs = *positional.back().obj;
                positional.pop_back();
            }
            std::vector<std::pair<std::string, const Node *>> pending;
            for (std::size_t i = 0; i < macro->items.size(); ++i) {
                const Node &param = *macro->items[i];
                Value value;
                bool given = i < positional.size();
                if (given) {
                    value = positional[i];
                } else if (const Value *kw = kwargs.find(param.str)) {
                    value = *kw;
                    given = true;
                    kwargs.entries.erase(std::find_if(kwargs.entries.begin(), kwargs.entries.end(),
                                                      [&param](const auto &e) { return e.first == param.str; }));
                }
                if (!given && param.kind == NodeKind::KeywordArgument)
                    pending.emplace_back(param.str, param.a.get());
                scope->set(param.str, value);
            }
            if (special.count("kwargs"))
                scope->set("kwargs", Value::object(kwargs));
            else if (!kwargs.entries.empty())
                fail("macro '" + macro->str + "' takes no keyword argument '" + kwargs.entries.front().first + "'");
            if (special.count("varargs"))
                scope->set("varargs", Value::array(positional.size() > macro->items.size()
                                                       ? Array(positional.begin() +
                                                                   static_cast<std::ptrdiff_t>(macro->items.size()),
                                                               positional.end())
                                                       : Array()));
            else if (positional.size() > macro->items.size())
                fail("macro '" + macro->str + "' takes not more than " + std::to_string(macro->items.size()) +
                     " argument(s)");
            for (const auto &[name, def] : pending)
                scope->set(name, evaluate(*def, scope));
            return Value::string(evaluateBlock(macro->body, scope));
        }));
    return Value::null();
}

} // namespace smartbot::engine::jinja
