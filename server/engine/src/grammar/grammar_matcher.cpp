#include "grammar/grammar_matcher.h"

#include <algorithm>

namespace smartbot::engine::grammar {

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar) : grammar_(std::move(grammar))
{
    for (uint32_t start : grammar_->rules[grammar_->root])
        expand(start, -1, state_);
    tidy(state_);
    if (steps_ > kMaxExpandSteps)
        state_.clear();
}

int32_t GrammarMatcher::intern(uint32_t pos, int32_t parent)
{
    const uint64_t key = (uint64_t(pos) << 32) | uint32_t(parent + 1);
    auto [it, added] = interned_.emplace(key, int32_t(nodes_.size()));
    if (added)
        nodes_.push_back({pos, parent});
    return it->second;
}

void GrammarMatcher::rollback(size_t mark)
{
    for (size_t i = mark; i < nodes_.size(); ++i)
        interned_.erase((uint64_t(nodes_[i].pos) << 32) | uint32_t(nodes_[i].parent + 1));
    nodes_.resize(mark);
}

void GrammarMatcher::tidy(State &s)
{
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
}

// The grammar has no left recursion (Grammar::parse refuses it), so expanding rules without consuming a byte ends.
void GrammarMatcher::expand(uint32_t pos, int32_t parent, State &out)
{
    if (++steps_ > kMaxExpandSteps)
        return;
    const Element &e = grammar_->elements[pos];
    switch (e.kind) {
    case Element::Kind::Bytes:
        out.push_back(intern(pos, parent));
        return;
    case Element::Kind::End:
        if (parent < 0) {
            out.push_back(kAccepted);
        } else {
            const Node n = nodes_[size_t(parent)];
            expand(n.pos, n.parent, out);
        }
        return;
    case Element::Kind::Rule: {
        const bool tail = grammar_->elements[pos + 1].kind == Element::Kind::End;
        const int32_t ret = tail ? parent : intern(pos + 1, parent);
        for (uint32_t start : grammar_->rules[e.index])
            expand(start, ret, out);
        return;
    }
    }
}

void GrammarMatcher::advance(const State &from, uint8_t byte, State &to)
{
    to.clear();
    steps_ = 0;
    for (const int32_t top : from) {
        if (top == kAccepted)
            continue;
        const Node n = nodes_[size_t(top)];
        if (contains(grammar_->byteSets[grammar_->elements[n.pos].index], byte))
            expand(n.pos + 1, n.parent, to);
        if (steps_ > kMaxExpandSteps)
            break;
        if (to.size() > 4 * kMaxStacks) { // duplicates included: count the distinct ones
            tidy(to);
            if (to.size() > kMaxStacks)
                break;
        }
    }
    tidy(to);
    if (to.size() > kMaxStacks || steps_ > kMaxExpandSteps)
        to.clear();
}

bool GrammarMatcher::accepts(const State &from, std::string_view bytes, State &a, State &b)
{
    if (bytes.empty())
        return true;
    advance(from, uint8_t(bytes[0]), a);
    for (size_t i = 1; i < bytes.size() && !a.empty(); ++i) {
        advance(a, uint8_t(bytes[i]), b);
        a.swap(b);
    }
    return !a.empty();
}

bool GrammarMatcher::accept(std::string_view bytes)
{
    State a, b;
    if (bytes.empty())
        return true;
    const size_t m = mark();
    if (!accepts(state_, bytes, a, b)) {
        rollback(m);
        return false;
    }
    state_ = std::move(a);
    return true;
}

} // namespace smartbot::engine::grammar
