// Constrained decoding: which tokens keep the generated text inside a grammar.
//
// TokenTable (one per tokenizer, built on first use, shared read-only): every token's bytes as it continues a text
// and as it begins one (decoders strip a leading space there), which tokens end a text (the model's stop ids), and
// a byte trie over the vocabulary so that tokens sharing a prefix share the matcher's work.
//
// TokenConstraint (one per sequence): the grammar's state for the text generated so far. The engine samples as
// usual and asks allows() for the token it drew; only when the grammar refuses it is the full mask computed and
// the draw repeated over the allowed tokens. Rejecting and redrawing gives each allowed token exactly its share of
// the allowed mass, so the distribution is that of masking first; the mask is built rarely (most draws of a
// model that follows the instructions are allowed) and is cached per grammar state.
// Thread-safety: a TokenConstraint belongs to its sequence's thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "grammar/grammar_matcher.h"
#include "smartbot/engine/tokenizer.h"

namespace smartbot::engine::grammar {

class TokenTable {
public:
    TokenTable(const Tokenizer &tokenizer, int64_t vocab, const std::vector<int32_t> &stopIds);
    int64_t vocab() const { return int64_t(kinds_.size()); }

    enum class Kind : uint8_t { Text, Stop, Never }; // Never: special tokens, and tokens that add no bytes
    Kind kind(int32_t id) const { return kinds_[size_t(id)]; }
    const std::string &bytes(int32_t id, bool atStart) const { return atStart ? start_[size_t(id)] : mid_[size_t(id)]; }

    // The trie: node 0 is the root; a node's children are edges [edgeBegin, edgeEnd), the Text tokens whose bytes
    // end there are ids_[tokenBegin, tokenEnd).
    struct Node {
        uint32_t tokenBegin = 0, tokenEnd = 0, edgeBegin = 0, edgeEnd = 0;
    };
    struct Edge {
        uint8_t byte = 0;
        uint32_t child = 0;
    };
    const std::vector<Node> &nodes() const { return nodes_; }
    const std::vector<Edge> &edges() const { return edges_; }
    const std::vector<int32_t> &sortedIds() const { return ids_; }
    const std::vector<int32_t> &stopIds() const { return stops_; }

private:
    std::vector<Kind> kinds_;
    std::vector<std::string> mid_, start_;
    std::vector<int32_t> ids_, stops_;
    std::vector<Node> nodes_;
    std::vector<Edge> edges_;
    uint32_t build(size_t lo, size_t hi, size_t depth);
};

class TokenConstraint {
public:
    TokenConstraint(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenTable> table);

    bool allows(int32_t id);
    // One bit per token id (bit id % 64 of word id / 64): the tokens allowed now.
    const std::vector<uint64_t> &mask();
    void accept(int32_t id); // id must be allowed
    bool mustEnd() const { return matcher_.mustEnd(); }
    uint64_t masksBuilt() const { return masksBuilt_; }

private:
    GrammarMatcher matcher_;
    std::shared_ptr<const TokenTable> table_;
    bool atStart_ = true;
    std::map<GrammarMatcher::State, std::vector<uint64_t>> cache_;
    std::vector<GrammarMatcher::State> depthStates_; // scratch per trie depth
    GrammarMatcher::State scratchA_, scratchB_;
    uint64_t masksBuilt_ = 0;
    void walk(uint32_t node, size_t depth, std::vector<uint64_t> &bits);
};

} // namespace smartbot::engine::grammar
