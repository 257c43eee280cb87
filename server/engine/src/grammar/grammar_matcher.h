// GrammarMatcher: where a text stands in a Grammar, advanced byte by byte. The state is a set of stacks (a
// pushdown automaton run on every alternative at once); each stack is a chain of interned nodes, so equal stacks
// are equal node ids and a state is a sorted list of ints. A rule referenced last in an alternative does not push a
// return address (tail call), so right recursion such as `item*` keeps the stacks flat.
// Thread-safety: one matcher per sequence; the Grammar it points at is shared read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "grammar/grammar.h"

namespace smartbot::engine::grammar {

class GrammarMatcher {
public:
    // A state: sorted, distinct top-node ids; kAccepted stands for a stack that has matched the whole root rule.
    using State = std::vector<int32_t>;
    static constexpr int32_t kAccepted = -1;
    // A grammar ambiguous enough to need more parallel stacks than this (they can double with every byte, e.g.
    // `root ::= . | . root+`) refuses further input rather than run away: generation then ends.
    static constexpr size_t kMaxStacks = 4096;
    // Expanding through rules that can match nothing can take exponentially many paths to few stacks
    // (`root ::= ("a"? | "b"?){64}`: 2^64 ways past the repetition). Past this many steps in one expansion, it refuses
    // as above. Ordinary grammars take tens of steps.
    static constexpr size_t kMaxExpandSteps = size_t(1) << 20;

    explicit GrammarMatcher(std::shared_ptr<const Grammar> grammar);

    const State &state() const { return state_; }
    // Advances the current state by bytes; false (and no change) when the grammar does not allow them.
    bool accept(std::string_view bytes);
    bool canEnd() const { return canEnd(state_); }
    // Nothing but the end can follow: the text is complete.
    bool mustEnd() const { return state_.size() == 1 && state_.front() == kAccepted; }

    // For exploring continuations without committing (token masks): advance a state by one byte (empty result: not
    // allowed). Nodes created after mark() are dropped by rollback(); states built from them must be gone by then.
    void advance(const State &from, uint8_t byte, State &to);
    bool accepts(const State &from, std::string_view bytes, State &scratchA, State &scratchB);
    static bool canEnd(const State &s) { return !s.empty() && s.front() == kAccepted; }
    size_t mark() const { return nodes_.size(); }
    void rollback(size_t mark);

private:
    struct Node {
        uint32_t pos;   // top: a Bytes element; below: a return address
        int32_t parent; // -1: bottom
    };
    std::shared_ptr<const Grammar> grammar_;
    std::vector<Node> nodes_;
    std::unordered_map<uint64_t, int32_t> interned_;
    State state_;
    size_t steps_ = 0; // expand() calls since the last reset (constructor, advance())

    int32_t intern(uint32_t pos, int32_t parent);
    void expand(uint32_t pos, int32_t parent, State &out); // the stacks for "at pos", tops on Bytes elements
    static void tidy(State &s);
};

} // namespace smartbot::engine::grammar
