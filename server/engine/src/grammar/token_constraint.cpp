#include "grammar/token_constraint.h"

#include <algorithm>
#include <numeric>

namespace smartbot::engine::grammar {

namespace {
constexpr size_t kMaxCachedMasks = 256; // per sequence; a JSON schema's states repeat (inside a string, after a comma)

void setBit(std::vector<uint64_t> &bits, int32_t id)
{
    bits[size_t(id) >> 6] |= uint64_t(1) << (id & 63);
}
} // namespace

TokenTable::TokenTable(const Tokenizer &tokenizer, int64_t vocab, const std::vector<int32_t> &stopIds)
    : kinds_(size_t(vocab), Kind::Never), mid_(size_t(vocab)), start_(size_t(vocab))
{
    for (int32_t id = 0; id < int32_t(vocab); ++id) {
        if (std::find(stopIds.begin(), stopIds.end(), id) != stopIds.end()) {
            kinds_[size_t(id)] = Kind::Stop;
            stops_.push_back(id);
            continue;
        }
        if (id >= tokenizer.vocabSize() || tokenizer.isSpecial(id))
            continue;
        mid_[size_t(id)] = tokenizer.pieceBytes(id, false);
        start_[size_t(id)] = tokenizer.pieceBytes(id, true);
        if (!mid_[size_t(id)].empty()) {
            kinds_[size_t(id)] = Kind::Text;
            ids_.push_back(id);
        }
    }
    std::sort(ids_.begin(), ids_.end(), [this](int32_t a, int32_t b) { return mid_[size_t(a)] < mid_[size_t(b)]; });
    build(0, ids_.size(), 0);
}

// ids_[lo, hi) share their first `depth` bytes; sorted, so those with exactly `depth` bytes come first.
uint32_t TokenTable::build(size_t lo, size_t hi, size_t depth)
{
    const uint32_t index = uint32_t(nodes_.size());
    nodes_.emplace_back();
    size_t p = lo;
    while (p < hi && mid_[size_t(ids_[p])].size() == depth)
        ++p;
    nodes_[index].tokenBegin = uint32_t(lo);
    nodes_[index].tokenEnd = uint32_t(p);
    std::vector<std::pair<size_t, size_t>> groups;
    while (p < hi) {
        const char b = mid_[size_t(ids_[p])][depth];
        size_t q = p;
        while (q < hi && mid_[size_t(ids_[q])][depth] == b)
            ++q;
        groups.emplace_back(p, q);
        p = q;
    }
    const uint32_t first = uint32_t(edges_.size());
    edges_.resize(edges_.size() + groups.size());
    nodes_[index].edgeBegin = first;
    nodes_[index].edgeEnd = uint32_t(edges_.size());
    for (size_t g = 0; g < groups.size(); ++g) {
        const auto [glo, ghi] = groups[g];
        const uint8_t byte = uint8_t(mid_[size_t(ids_[glo])][depth]);
        const uint32_t child = build(glo, ghi, depth + 1);
        edges_[first + g] = {byte, child};
    }
    return index;
}

TokenConstraint::TokenConstraint(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenTable> table)
    : matcher_(std::move(grammar)), table_(std::move(table))
{
}

bool TokenConstraint::allows(int32_t id)
{
    if (id < 0 || id >= table_->vocab())
        return false;
    switch (table_->kind(id)) {
    case TokenTable::Kind::Stop:
        return matcher_.canEnd();
    case TokenTable::Kind::Never:
        return false;
    case TokenTable::Kind::Text:
        break;
    }
    const std::string &bytes = table_->bytes(id, atStart_);
    if (bytes.empty())
        return false;
    const size_t m = matcher_.mark();
    const bool ok = matcher_.accepts(matcher_.state(), bytes, scratchA_, scratchB_);
    matcher_.rollback(m);
    return ok;
}

void TokenConstraint::walk(uint32_t node, size_t depth, std::vector<uint64_t> &bits)
{
    const auto &nodes = table_->nodes();
    const auto &edges = table_->edges();
    const auto &ids = table_->sortedIds();
    if (depthStates_.size() <= depth + 1)
        depthStates_.resize(depth + 2);
    for (uint32_t e = nodes[node].edgeBegin; e < nodes[node].edgeEnd; ++e) {
        matcher_.advance(depthStates_[depth], edges[e].byte, depthStates_[depth + 1]);
        if (depthStates_[depth + 1].empty())
            continue;
        const auto &child = nodes[edges[e].child];
        for (uint32_t t = child.tokenBegin; t < child.tokenEnd; ++t)
            setBit(bits, ids[t]);
        walk(edges[e].child, depth + 1, bits);
    }
}

const std::vector<uint64_t> &TokenConstraint::mask()
{
    if (!atStart_)
        if (auto it = cache_.find(matcher_.state()); it != cache_.end())
            return it->second;
    ++masksBuilt_;
    std::vector<uint64_t> bits(size_t((table_->vocab() + 63) / 64), 0);
    if (matcher_.canEnd())
        for (int32_t id : table_->stopIds())
            setBit(bits, id);
    if (atStart_) { // once per sequence, with the tokens' text-initial bytes, which the trie does not hold
        for (int32_t id = 0; id < int32_t(table_->vocab()); ++id)
            if (table_->kind(id) == TokenTable::Kind::Text && allows(id))
                setBit(bits, id);
        cache_.clear();
        return cache_[{}] = std::move(bits);
    }
    const size_t m = matcher_.mark();
    if (depthStates_.empty())
        depthStates_.resize(1);
    depthStates_[0] = matcher_.state();
    walk(0, 0, bits);
    matcher_.rollback(m);
    if (cache_.size() >= kMaxCachedMasks)
        cache_.clear();
    return cache_[matcher_.state()] = std::move(bits);
}

void TokenConstraint::accept(int32_t id)
{
    if (table_->kind(id) != TokenTable::Kind::Text)
        return;
    matcher_.accept(table_->bytes(id, atStart_));
    atStart_ = false;
}

} // namespace smartbot::engine::grammar
