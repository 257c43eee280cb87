// Internal: the BPE model of a Hugging Face tokenizer.json (merges by rank, byte fallback, unk fusing).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/json.h"

namespace smartbot::engine::tokenizer_detail {

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using VocabMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class BpeModel {
public:
    // `model` is tokenizer.json's "model" object with type "BPE". Throws LoadError.
    static BpeModel fromJson(const json &model);

    // Appends the ids of one pre-tokenized word (HF BPE::tokenize). O(n log n) in the word length.
    void tokenize(std::string_view word, std::vector<int32_t> &out) const;

    int32_t find(std::string_view token) const; // -1 if not in the vocabulary
    const VocabMap &vocab() const { return vocab_; }

private:
    struct Merge {
        int32_t rank;
        int32_t newId;
    };
    struct Symbol {
        int32_t id;
        int32_t prev;
        int32_t next;
        uint32_t len; // bytes covered; 0 once merged into its left neighbour
    };

    // Merges by (left, right) id pair: open addressing with linear probing (hot path of tokenize()).
    struct MergeSlot {
        uint64_t key;
        Merge merge;
    };
    static constexpr uint64_t kEmptySlot = ~uint64_t{0};
    void insertMerge(uint64_t key, Merge m);
    const Merge *findMerge(int32_t left, int32_t right) const;
    void mergeAll(std::vector<Symbol> &symbols) const;

    VocabMap vocab_;
    std::vector<MergeSlot> merges_;
    uint64_t mergeMask_ = 0;
    std::vector<int32_t> smallCharIds_; // id of each single character below U+0800 (-1: none)
    std::array<int32_t, 256> byteIds_{};
    int32_t unkId_ = -1;
    bool byteFallback_ = false;
    bool fuseUnk_ = false;
    bool ignoreMerges_ = false;
    std::string prefix_; // continuing_subword_prefix
    std::string suffix_; // end_of_word_suffix
};

} // namespace smartbot::engine::tokenizer_detail
