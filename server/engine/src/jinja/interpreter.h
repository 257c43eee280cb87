// Internal: evaluates a parsed Jinja template like @huggingface/jinja's Interpreter (same scoping: `for` and
// macro bodies get their own scope, `set` assigns in the current one; namespace() exists in every scope).
// Hostile templates cannot run away: loop iterations, output size and call depth are capped (JinjaError).
#pragma once

#include <cstddef>
#include <string>
#include <memory>
#include <unordered_map>
#include <vector>

#include "jinja/ast.h"
#include "jinja/value.h"

namespace smartbot::engine::jinja {

// {% break %} / {% continue %} unwind to the enclosing loop as these exceptions.
struct BreakSignal {};
struct ContinueSignal {};

struct Env {
    EnvPtr parent;
    std::unordered_map<std::string, Value> vars;

    explicit Env(EnvPtr p = nullptr) : parent(std::move(p)) {}
    Value lookup(const std::string &name) const;
    void set(const std::string &name, Value v) { vars[name] = std::move(v); }
};

struct Limits {
    std::size_t maxOutputBytes = kMaxStringBytes; // any string the template builds
    std::size_t maxLoopIterations = 1000000;      // all loops (and range()) of one render together
    int maxCallDepth = 32;                        // nested macro calls
};

class Interpreter {
public:
    explicit Interpreter(Limits limits = {}) : limits_(limits) {}

    // Renders a Program node in `globals` (see makeGlobals). Throws JinjaError.
    std::string render(const Node &program, const EnvPtr &globals);

    Value evaluate(const Node &node, const EnvPtr &env);
    Value applyFilter(const Value &operand, const Node &filter, const EnvPtr &env); // jinja_filters.cpp
    // Positional values, then keyword arguments (in `kwargs`, in order; duplicates are an error).
    void evaluateArguments(const std::vector<NodePtr> &args, const EnvPtr &env, std::vector<Value> &positional,
                           Object &kwargs);
    void checkSize(std::size_t bytes) const;
    void countIterations(std::size_t n);

private:
    Value evaluateInner(const Node &node, const EnvPtr &env);
    std::string evaluateBlock(const std::vector<NodePtr> &statements, const EnvPtr &env);
    Value evaluateBinary(const Node &node, const EnvPtr &env);
    Value evaluateMember(const Node &node, const EnvPtr &env);
    Value evaluateSlice(const Value &object, const Node &slice, const EnvPtr &env);
    Value evaluateCall(const Node &node, const EnvPtr &env);
    Value evaluateTest(const Node &node, const EnvPtr &env);
    Value evaluateFor(const Node &node, const EnvPtr &env);   // jinja_statements.cpp
    Value evaluateSet(const Node &node, const EnvPtr &env);   // jinja_statements.cpp
    Value evaluateMacro(const Node &node, const EnvPtr &env); // jinja_statements.cpp

    // Breaks the reference cycles a template can build through namespaces (`{% set ns.me = ns %}`), which would
    // otherwise outlive the render (found by ASan on fuzz_jinja): every namespace assigned to is remembered and its
    // entries are dropped when render() returns or throws. Nothing reads a namespace after its render.
    void rememberMutated(const std::shared_ptr<Object> &ns);
    void releaseMutated();

    Limits limits_;
    std::size_t iterations_ = 0;
    int callDepth_ = 0;
    std::unordered_map<const Object *, std::weak_ptr<Object>> mutated_;
};

// The global scope @huggingface/jinja sets up (true/false/none and their Python spellings, raise_exception, range,
// strftime_now) plus `variables`, whose keys become template variables.
EnvPtr makeGlobals(Interpreter &interpreter, const Value &variables);

// Named tests (`x is defined` ...). Returns false in `known` for an unknown test name.
bool runTest(const std::string &name, const Value &operand, const Value *argument, bool &known);
// Attribute / method lookup on a value (`s.upper`, `d.items`, `xs.length`); Undefined when there is none.
Value builtinMember(const Value &object, const std::string &name);
// Ordering used by sort and dictsort (numbers, or strings optionally case-insensitive); throws otherwise.
int compareValues(const Value &a, const Value &b, bool caseSensitive);
// Dotted attribute path ("a.b.0") as the sort / map filters resolve it.
Value attributePath(const Value &item, const std::string &path);

} // namespace smartbot::engine::jinja
