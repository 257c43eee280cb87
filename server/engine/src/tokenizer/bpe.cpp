#include "tokenizer/bpe.h"

#include <queue>

#include "tokenizer/utf8.h"

namespace smartbot::engine::tokenizer_detail {

namespace {

uint64_t pairKey(int32_t left, int32_t right)
{
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

uint64_t mix(uint64_t x)
{ // splitmix64 finalizer
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

std::string optString(const json &model, const char *key, const std::string &where)
{
    const json *v = optField(model, key);
    if (!v)
        return {};
    if (!v->is_string())
        fail(where + ": field '" + key + "' must be a string or null, not " + v->type_name());
    return v->get<std::string>();
}

} // namespace

BpeModel BpeModel::fromJson(const json &model)
{
    const std::string where = "model";
    BpeModel m;
    m.byteFallback_ = boolField(model, "byte_fallback", where, false);
    m.fuseUnk_ = boolField(model, "fuse_unk", where, false);
    m.ignoreMerges_ = boolField(model, "ignore_merges", where, false);
    m.prefix_ = optString(model, "continuing_subword_prefix", where);
    m.suffix_ = optString(model, "end_of_word_suffix", where);
    if (const json *dropout = optField(model, "dropout"); dropout && !dropout->is_number())
        fail(where + ": field 'dropout' must be a number or null"); // accepted but not applied (inference only)

    const json &vocab = field(model, "vocab", where);
    if (!vocab.is_object())
        fail(where + ": field 'vocab' must be an object mapping token to id, not " + vocab.type_name());
    m.vocab_.reserve(vocab.size());
    for (auto it = vocab.begin(); it != vocab.end(); ++it)
        m.vocab_.emplace(it.key(), tokenIdValue(it.value(), "model.vocab id of '" + it.key() + "'"));

    const json &merges = field(model, "merges", where);
    if (!merges.is_array())
        fail(where + ": field 'merges' must be an array, not " + merges.type_name());
    std::size_t capacity = 16;
    while (capacity < merges.size() * 2)
        capacity *= 2;
    m.merges_.assign(capacity, MergeSlot{kEmptySlot, Merge{0, 0}});
    m.mergeMask_ = capacity - 1;
    auto idOf = [&](const std::string &tok) {
        const int32_t id = m.find(tok);
        if (id < 0)
            fail("model.merges: token '" + tok + "' is not in the vocabulary");
        return id;
    };
    int32_t rank = 0;
    for (const json &entry : merges) {
        std::string a, b;
        if (entry.is_string()) {
            const std::string &line = entry.get_ref<const std::string &>();
            const std::size_t sp = line.find(' ');
            if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos)
                fail("model.merges[" + std::to_string(rank) + "]: expected \"a b\", got \"" + line + "\"");
            a = line.substr(0, sp);
            b = line.substr(sp + 1);
        } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string()) {
            a = entry[0].get<std::string>();
            b = entry[1].get<std::string>();
        } else {
            fail("model.merges[" + std::to_string(rank) + "]: expected a \"a b\" string or an [a, b] pair");
        }
        std::string_view tail = b;
        if (!m.prefix_.empty() && tail.substr(0, m.prefix_.size()) == m.prefix_)
            tail.remove_prefix(m.prefix_.size());
        const int32_t left = idOf(a);
        const int32_t right = idOf(b);
        const int32_t newId = idOf(a + std::string(tail));
        // Later duplicates overwrite earlier ones, as HF's HashMap collect does.
        m.insertMerge(pairKey(left, right), Merge{rank, newId});
        ++rank;
    }

    static const char *hex = "0123456789ABCDEF";
    for (int byte = 0; byte < 256; ++byte) {
        const std::string name{'<', '0', 'x', hex[byte >> 4], hex[byte & 15], '>'};
        m.byteIds_[static_cast<std::size_t>(byte)] = m.find(name);
    }
    m.smallCharIds_.assign(0x800, -1);
    for (char32_t cp = 0; cp < 0x800; ++cp) {
        std::string s;
        appendUtf8(s, cp);
        m.smallCharIds_[cp] = m.find(s);
    }
    if (const std::string unk = optString(model, "unk_token", where); !unk.empty())
        m.unkId_ = m.find(unk); // an unk_token missing from the vocabulary behaves as none
    return m;
}

int32_t BpeModel::find(std::string_view token) const
{
    const auto it = vocab_.find(token);
    return it == vocab_.end() ? -1 : it->second;
}

void BpeModel::insertMerge(uint64_t key, Merge merge)
{
    for (uint64_t i = mix(key) & mergeMask_;; i = (i + 1) & mergeMask_) {
        if (merges_[i].key == kEmptySlot || merges_[i].key == key) {
            merges_[i] = MergeSlot{key, merge};
            return;
        }
    }
}

const BpeModel::Merge *BpeModel::findMerge(int32_t left, int32_t right) const
{
    const uint64_t key = pairKey(left, right);
    for (uint64_t i = mix(key) & mergeMask_;; i = (i + 1) & mergeMask_) {
        if (merges_[i].key == key)
            return &merges_[i].merge;
        if (merges_[i].key == kEmptySlot)
            return nullptr;
    }
}

void BpeModel::tokenize(std::string_view word, std::vector<int32_t> &out) const
{
    if (word.empty())
        return;
    if (ignoreMerges_) {
        if (const int32_t id = find(word); id >= 0) {
            out.push_back(id);
            return;
        }
    }

    std::vector<Symbol> symbols;
    symbols.reserve(word.size());
    auto add = [&symbols](int32_t id, std::size_t len) {
        symbols.push_back(Symbol{id, -1, -1, static_cast<uint32_t>(len)});
    };
    bool pendingUnk = false;
    std::size_t unkLen = 0;
    std::string scratch;
    std::size_t pos = 0;
    while (pos < word.size()) {
        char32_t cp = 0;
        const std::size_t len = decodeUtf8(word, pos, cp);
        std::string_view piece = word.substr(pos, len);
        const bool first = pos == 0;
        const bool last = pos + len == word.size();
        pos += len;
        const bool affixed = (!prefix_.empty() && !first) || (!suffix_.empty() && last);
        if (affixed) {
            scratch.assign(first ? std::string_view{} : std::string_view{prefix_});
            scratch.append(piece);
            if (last)
                scratch.append(suffix_);
            piece = scratch;
        }
        const int32_t found = !affixed && cp < 0x800 ? smallCharIds_[cp] : find(piece);
        if (const int32_t id = found; id >= 0) {
            if (pendingUnk) {
                add(unkId_, unkLen);
                pendingUnk = false;
            }
            add(id, len);
            continue;
        }
        if (byteFallback_) {
            bool allBytes = true;
            for (const char c : piece)
                allBytes = allBytes && byteIds_[static_cast<unsigned char>(c)] >= 0;
            if (allBytes) {
                // Like HF, a pending (fused) unk is not flushed before byte tokens.
                for (const char c : piece)
                    add(byteIds_[static_cast<unsigned char>(c)], 1);
                continue;
            }
        }
        if (unkId_ < 0)
            continue; // no unk token: the character is dropped
        if (pendingUnk && fuseUnk_) {
            unkLen += len;
        } else {
            if (pendingUnk)
                add(unkId_, unkLen);
            pendingUnk = true;
            unkLen = len;
        }
    }
    if (pendingUnk)
        add(unkId_, unkLen);

    const auto n = static_cast<int32_t>(symbols.size());
    for (int32_t i = 0; i < n; ++i) {
        symbols[static_cast<std::size_t>(i)].prev = i - 1;
        symbols[static_cast<std::size_t>(i)].next = i + 1 < n ? i + 1 : -1;
    }
    mergeAll(symbols);
    for (const Symbol &s : symbols)
        if (s.len != 0)
            out.push_back(s.id);
}

// HF Word::merge_all: always apply the lowest-rank merge, leftmost first on ties.
void BpeModel::mergeAll(std::vector<Symbol> &symbols) const
{
    struct Candidate {
        int32_t rank;
        int32_t pos;
        int32_t newId;
    };
    auto lowerPriority = [](const Candidate &a, const Candidate &b) {
        return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
    };
    std::priority_queue<Candidate, std::vector<Candidate>, decltype(lowerPriority)> queue(lowerPriority);
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i)
        if (const Merge *m = findMerge(symbols[i].id, symbols[i + 1].id))
            queue.push(Candidate{m->rank, static_cast<int32_t>(i), m->newId});

    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Symbol &current = symbols[static_cast<std::size_t>(top.pos)];
        if (current.len == 0 || current.next < 0)
            continue;
        const Symbol right = symbols[static_cast<std::size_t>(current.next)];
        const Merge *valid = findMerge(current.id, right.id);
        if (!valid || valid->newId != top.newId)
            continue; // stale entry
        symbols[static_cast<std::size_t>(current.next)].len = 0;
        current.id = top.newId;
        current.len += right.len;
        current.next = right.next;
        if (right.next >= 0)
            symbols[static_cast<std::size_t>(right.next)].prev = top.pos;
        if (current.prev >= 0)
            if (const Merge *m = findMerge(symbols[static_cast<std::size_t>(current.prev)].id, current.id))
                queue.push(Candidate{m->rank, current.prev, m->newId});
        if (current.next >= 0)
            if (const Merge *m = findMerge(current.id, symbols[static_cast<std::size_t>(current.next)].id))
                queue.push(Candidate{m->rank, top.pos, m->newId});
    }
}

} // namespace smartbot::engine::tokenizer_detail
