#include "gguf/gguf_vocab.h"

#include <algorithm>
#include <unordered_map>

#include "tokenizer/utf8.h"

namespace smartbot::engine::gguf {

namespace {

using json = nlohmann::json;

// What dump() with error_handler_t::replace writes for s, read back: s itself when it is valid UTF-8, else s with
// each invalid sequence replaced by U+FFFD.
std::string asDumped(const std::string &s)
{
    if (tokenizer_detail::isValidUtf8(s))
        return s;
    return json::parse(json(s).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
}

// Every string and key of v made what its JSON text would give back (see VocabJson).
void makeValidUtf8(json &v)
{
    if (v.is_string()) {
        auto &s = v.get_ref<std::string &>();
        if (!tokenizer_detail::isValidUtf8(s))
            s = asDumped(s);
    } else if (v.is_array()) {
        for (json &e : v)
            makeValidUtf8(e);
    } else if (v.is_object()) {
        bool badKey = false;
        for (auto it = v.begin(); it != v.end(); ++it) {
            makeValidUtf8(it.value());
            badKey = badKey || !tokenizer_detail::isValidUtf8(it.key());
        }
        if (badKey) { // rebuilt in key order, a later duplicate winning, as a parse of the text would
            json fixed = json::object();
            for (auto it = v.begin(); it != v.end(); ++it)
                fixed[asDumped(it.key())] = std::move(it.value());
            v = std::move(fixed);
        }
    }
}

// tokenizer.ggml.token_type values.
enum TokenType { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

// The split expression of each byte-level pre-tokenizer name llama.cpp writes (tokenizer.ggml.pre), as the Hugging
// Face tokenizers of those models spell it. "gpt2"/"default" use ByteLevel's own expression.
struct PreTokenizer {
    const char *name;
    const char *regex; // nullptr: ByteLevel with use_regex (GPT-2's expression)
    bool nfc;
};
constexpr const char *kLlama3Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char *kQwen2Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr PreTokenizer kPreTokenizers[] = {
    {"default", nullptr, false},     {"gpt2", nullptr, false},           {"llama-bpe", kLlama3Regex, false},
    {"llama3", kLlama3Regex, false}, {"smaug-bpe", kLlama3Regex, false}, {"qwen2", kQwen2Regex, true},
};

// -1 for absent or the "none" values llama.cpp writes (0xFFFFFFFF as uint32, or -1).
Result<int64_t> optionalId(const File &f, const std::string &key, int64_t fallback, int64_t vocab)
{
    auto v = f.integer(key, fallback);
    if (!v)
        return v.failure();
    const int64_t id = v.value();
    if (id == 0xFFFFFFFFll || id < 0)
        return int64_t(-1);
    if (id >= vocab)
        return makeError("metadata '" + key + "' = " + std::to_string(id) + " is outside the vocabulary of " +
                         std::to_string(vocab) + " tokens");
    return id;
}

size_t utf8Length(unsigned char lead)
{
    return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

// SentencePiece merges from scores: every way of cutting a normal piece into two pieces of the vocabulary is a merge,
// ranked by the joined piece's score (higher first), then by its id, then by the left part's length.
json mergesFromScores(const std::vector<std::string> &tokens, const std::vector<int> &types,
                      const std::vector<float> &scores)
{
    std::unordered_map<std::string, size_t> index;
    for (size_t i = 0; i < tokens.size(); ++i)
        if (types[i] == kNormal || types[i] == kUserDefined)
            index.emplace(tokens[i], i);
    struct Merge {
        float score;
        size_t id;
        size_t cut;
    };
    std::vector<Merge> merges;
    for (size_t i = 0; i < tokens.size(); ++i) {
        if (types[i] != kNormal)
            continue;
        const std::string &t = tokens[i];
        for (size_t cut = utf8Length(uint8_t(t[0])); cut < t.size(); cut += utf8Length(uint8_t(t[cut])))
            if (index.count(t.substr(0, cut)) && index.count(t.substr(cut)))
                merges.push_back({scores[i], i, cut});
    }
    std::stable_sort(merges.begin(), merges.end(), [](const Merge &a, const Merge &b) {
        if (a.score != b.score)
            return a.score > b.score;
        if (a.id != b.id)
            return a.id < b.id;
        return a.cut < b.cut;
    });
    json out = json::array();
    for (const Merge &m : merges)
        out.push_back(json::array({tokens[m.id].substr(0, m.cut), tokens[m.id].substr(m.cut)}));
    return out;
}

json spmNormalizer(bool addSpacePrefix)
{
    json replace = {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xe2\x96\x81"}};
    if (!addSpacePrefix)
        return replace;
    return {{"type", "Sequence"},
            {"normalizers", json::array({json{{"type", "Prepend"}, {"prepend", "\xe2\x96\x81"}}, replace})}};
}

json spmDecoder(bool addSpacePrefix)
{
    json decoders = json::array({json{{"type", "Replace"}, {"pattern", {{"String", "\xe2\x96\x81"}}}, {"content", " "}},
                                 json{{"type", "ByteFallback"}}, json{{"type", "Fuse"}}});
    if (addSpacePrefix)
        decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
    return {{"type", "Sequence"}, {"decoders", decoders}};
}

} // namespace

const char *preTokenizerName(const std::string &splitRegex)
{
    for (const auto &p : kPreTokenizers)
        if (p.regex && splitRegex == p.regex)
            return p.name;
    return nullptr;
}

Result<VocabJson> vocabJson(const File &f)
{
    auto model = f.string("tokenizer.ggml.model");
    if (!model)
        return model.failure();
    const std::string kind = model.value();
    if (kind != "llama" && kind != "gpt2")
        return makeError("tokenizer.ggml.model '" + kind + "' is not supported (supported: llama, gpt2)");

    auto tokensJson = f.array("tokenizer.ggml.tokens", "string");
    if (!tokensJson)
        return tokensJson.failure();
    if (tokensJson.value().is_null() || tokensJson.value().empty())
        return makeError("metadata 'tokenizer.ggml.tokens' is missing or empty");
    const auto tokens = tokensJson.value().get<std::vector<std::string>>();
    const int64_t vocab = int64_t(tokens.size());

    std::vector<int> types(tokens.size(), kNormal);
    auto typesJson = f.array("tokenizer.ggml.token_type", "integer");
    if (!typesJson)
        return typesJson.failure();
    if (!typesJson.value().is_null()) {
        if (typesJson.value().size() != tokens.size())
            return makeError("metadata 'tokenizer.ggml.token_type' has " + std::to_string(typesJson.value().size()) +
                             " entries for " + std::to_string(vocab) + " tokens");
        types = typesJson.value().get<std::vector<int>>();
    }

    const bool spm = kind == "llama";
    auto bos = optionalId(f, "tokenizer.ggml.bos_token_id", spm ? 1 : -1, vocab);
    auto eos = optionalId(f, "tokenizer.ggml.eos_token_id", spm ? 2 : -1, vocab);
    auto unk = optionalId(f, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1, vocab);
    auto addBos = f.boolean("tokenizer.ggml.add_bos_token", spm);
    auto addEos = f.boolean("tokenizer.ggml.add_eos_token", false);
    auto addSpace = f.boolean("tokenizer.ggml.add_space_prefix", spm);
    for (const Result<int64_t> *r : {&bos, &eos, &unk})
        if (!*r)
            return r->failure();
    for (const Result<bool> *r : {&addBos, &addEos, &addSpace})
        if (!*r)
            return r->failure();

    json vocabMap = json::object();
    json added = json::array();
    for (size_t i = 0; i < tokens.size(); ++i) {
        vocabMap.emplace(tokens[i], i); // a duplicate keeps its first id, as the tokenizer's lookup would
        const bool special = types[i] == kControl || types[i] == kUnknown;
        if (special || types[i] == kUserDefined)
            added.push_back({{"id", i},
                             {"content", tokens[i]},
                             {"single_word", false},
                             {"lstrip", false},
                             {"rstrip", false},
                             {"normalized", false},
                             {"special", special}});
    }

    json root = {{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}, {"added_tokens", added}};
    json bpe = {{"type", "BPE"}, {"dropout", nullptr}, {"vocab", std::move(vocabMap)}, {"ignore_merges", false}};
    if (spm) {
        std::vector<float> scores(tokens.size(), 0.0f);
        auto scoresJson = f.array("tokenizer.ggml.scores", "number");
        if (!scoresJson)
            return scoresJson.failure();
        if (scoresJson.value().is_null() || scoresJson.value().size() != tokens.size())
            return makeError("metadata 'tokenizer.ggml.scores' must hold one score per token (" +
                             std::to_string(vocab) + ")");
        scores = scoresJson.value().get<std::vector<float>>();
        root["normalizer"] = spmNormalizer(addSpace.value());
        root["pre_tokenizer"] = nullptr;
        root["decoder"] = spmDecoder(addSpace.value());
        bpe["unk_token"] = unk.value() >= 0 ? json(tokens[size_t(unk.value())]) : json(nullptr);
        bpe["fuse_unk"] = true;
        bpe["byte_fallback"] = true;
        bpe["merges"] = mergesFromScores(tokens, types, scores);
    } else {
        auto pre = f.string("tokenizer.ggml.pre", "default");
        if (!pre)
            return pre.failure();
        const PreTokenizer *p = nullptr;
        for (const auto &candidate : kPreTokenizers)
            if (pre.value() == candidate.name)
                p = &candidate;
        if (!p) {
            std::string names;
            for (const auto &candidate : kPreTokenizers)
                names += (names.empty() ? "" : ", ") + std::string(candidate.name);
            return makeError("tokenizer.ggml.pre '" + pre.value() + "' is not supported (supported: " + names + ")");
        }
        json byteLevel = {{"type", "ByteLevel"},
                          {"add_prefix_space", false},
                          {"trim_offsets", true},
                          {"use_regex", p->regex == nullptr}};
        if (p->regex)
            root["pre_tokenizer"] = {{"type", "Sequence"},
                                     {"pretokenizers", json::array({json{{"type", "Split"},
                                                                         {"pattern", {{"Regex", p->regex}}},
                                                                         {"behavior", "Isolated"},
                                                                         {"invert", false}},
                                                                    byteLevel})}};
        else
            root["pre_tokenizer"] = byteLevel;
        root["normalizer"] = p->nfc ? json{{"type", "NFC"}} : json(nullptr);
        root["decoder"] = {
            {"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
        auto merges = f.array("tokenizer.ggml.merges", "string");
        if (!merges)
            return merges.failure();
        if (merges.value().is_null())
            return makeError("metadata 'tokenizer.ggml.merges' is missing (a gpt2 vocabulary needs it)");
        bpe["merges"] = merges.value();
        bpe["unk_token"] = nullptr;
        bpe["fuse_unk"] = false;
        bpe["byte_fallback"] = false;
    }
    root["post_processor"] = nullptr;
    root["model"] = std::move(bpe);

    VocabJson out;
    const auto text = [&tokens](int64_t id) { return id >= 0 ? tokens[size_t(id)] : std::string(); };
    out.bosToken = text(bos.value());
    out.eosToken = text(eos.value());
    json config = {{"add_bos_token", addBos.value() && bos.value() >= 0},
                   {"add_eos_token", addEos.value() && eos.value() >= 0},
                   {"bos_token", bos.value() >= 0 ? json(out.bosToken) : json(nullptr)},
                   {"eos_token", eos.value() >= 0 ? json(out.eosToken) : json(nullptr)}};
    makeValidUtf8(root);
    makeValidUtf8(config);
    out.tokenizer = std::move(root);
    out.config = std::move(config);
    return out;
}

std::string VocabJson::tokenizerJson() const
{
    return tokenizer.dump();
}

std::string VocabJson::tokenizerConfigJson() const
{
    return config.dump();
}

} // namespace smartbot::engine::gguf
