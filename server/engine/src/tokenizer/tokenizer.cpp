// Tokenizer: Hugging Face tokenizer.json reader (BPE with byte fallback, SentencePiece style).
// Pipeline per HF: added tokens are cut out of the raw text first; every other segment is normalized,
// pre-tokenized and run through BPE; the post-processor adds special tokens. Decoding runs the
// decoder pipeline (tokenizer_decoder.*), which also drives StreamDecoder.
#include "smartbot/engine/tokenizer.h"

#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_set>

#include "tokenizer/added.h"
#include "tokenizer/bpe.h"
#include "tokenizer/decoder.h"
#include "tokenizer/json.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer_from_json.h"

namespace smartbot::engine {

using namespace tokenizer_detail;

namespace {

constexpr uint8_t kValid = 1;
constexpr uint8_t kSpecial = 2;
constexpr uint8_t kSkippable = 4; // dropped by decode(skipSpecial=true)
// First id of a StreamDecoder window that starts in the middle of a stream (see StreamDecoder::push).
constexpr int32_t kMidStreamMarker = std::numeric_limits<int32_t>::min();

json readJsonFile(const std::string &path, const char *what)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(std::string("cannot open ") + what + " '" + path + "'");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        fail(std::string("cannot read ") + what + " '" + path + "'");
    try {
        return json::parse(buffer.str());
    } catch (const json::parse_error &e) {
        fail(std::string(what) + " '" + path + "' is not valid JSON: " + e.what());
    }
}

} // namespace

struct Tokenizer::Impl {
    BpeModel model;
    Normalizer normalizer;
    PreTokenizer preTokenizer;
    DecoderPipeline decoder;
    std::vector<AddedToken> added;
    AddedTokenMatcher rawMatcher;        // added tokens with normalized=false: matched in the raw text
    AddedTokenMatcher normalizedMatcher; // normalized=true: matched in each normalized segment
    std::vector<std::string> idToToken;
    std::vector<uint8_t> idFlags;
    std::vector<int32_t> prefix; // post-processor, single sequence
    std::vector<int32_t> suffix;
    int32_t bos = -1;
    int32_t eos = -1;

    void build(const json &root, const json *config);
    void parsePostProcessor(const json &pp, const std::string &where);
    int32_t lookup(const std::string &content) const;
    int32_t configTokenId(const json &config, const char *key) const;

    void encodeText(std::string_view text, std::vector<int32_t> &out) const;
    void encodeNormalized(std::string_view text, bool atTextStart, std::vector<int32_t> &out) const;
    const std::string *tokenFor(int32_t id, bool skipSpecial) const;
    std::string streamStep(std::vector<int32_t> &ids, std::string &emitted, bool skipSpecial, bool final) const;
};

// ---------------------------------------------------------------------------------------------- load

void Tokenizer::Impl::build(const json &root, const json *config)
{
    requireObject(root, "tokenizer.json");
    const json &modelJson = field(root, "model", "tokenizer.json");
    requireObject(modelJson, "model");
    std::string type;
    if (const json *t = optField(modelJson, "type")) {
        if (!t->is_string())
            fail("model: field 'type' must be a string");
        type = t->get<std::string>();
    } else if (modelJson.contains("merges")) {
        type = "BPE"; // old files omit the type of BPE models
    }
    if (type != "BPE")
        fail("unsupported model type '" + type + "' (only BPE is supported)");
    model = BpeModel::fromJson(modelJson);

    const json null;
    const json *n = optField(root, "normalizer");
    normalizer = Normalizer::fromJson(n ? *n : null);
    const json *p = optField(root, "pre_tokenizer");
    preTokenizer = PreTokenizer::fromJson(p ? *p : null);
    const json *d = optField(root, "decoder");
    decoder = DecoderPipeline::fromJson(d ? *d : null);

    if (const json *list = optField(root, "added_tokens")) {
        if (!list->is_array())
            fail("tokenizer.json: field 'added_tokens' must be an array");
        for (std::size_t i = 0; i < list->size(); ++i) {
            const std::string where = "added_tokens[" + std::to_string(i) + "]";
            const json &t = (*list)[i];
            AddedToken tok;
            tok.id = tokenIdValue(field(t, "id", where), where + ".id");
            tok.content = stringField(t, "content", where);
            tok.singleWord = boolField(t, "single_word", where, false);
            tok.lstrip = boolField(t, "lstrip", where, false);
            tok.rstrip = boolField(t, "rstrip", where, false);
            tok.normalized = boolField(t, "normalized", where, true);
            tok.special = boolField(t, "special", where, false);
            added.push_back(std::move(tok));
        }
    }

    // id -> token table: the model vocabulary, overridden by added tokens (HF looks those up first).
    int32_t maxId = -1;
    for (const auto &[tok, id] : model.vocab())
        maxId = std::max(maxId, id);
    for (const AddedToken &t : added)
        maxId = std::max(maxId, t.id);
    idToToken.assign(static_cast<std::size_t>(maxId + 1), std::string());
    idFlags.assign(static_cast<std::size_t>(maxId + 1), 0);
    for (const auto &[tok, id] : model.vocab()) {
        auto &flags = idFlags[static_cast<std::size_t>(id)];
        if (!(flags & kValid)) { // duplicate ids: keep one deterministically (smallest string)
            idToToken[static_cast<std::size_t>(id)] = tok;
            flags = kValid;
        } else if (tok < idToToken[static_cast<std::size_t>(id)]) {
            idToToken[static_cast<std::size_t>(id)] = tok;
        }
    }
    std::unordered_set<std::string> specialContents;
    for (const AddedToken &t : added)
        if (t.special)
            specialContents.insert(t.content);
    for (const AddedToken &t : added) {
        // HF (0.23) reports and decodes a normalized added token as its normalized content, and its
        // skip_special_tokens test looks that string up among the special contents: a special token whose
        // normalized form differs from its content is therefore not skipped. Both mirrored here.
        std::string &token = idToToken[static_cast<std::size_t>(t.id)];
        token = t.normalized ? normalizer.apply(t.content) : t.content;
        uint8_t flags = kValid;
        if (t.special)
            flags |= kSpecial;
        if (specialContents.count(token))
            flags |= kSkippable;
        idFlags[static_cast<std::size_t>(t.id)] = flags;
    }
    for (const AddedToken &t : added) {
        if (t.normalized)
            normalizedMatcher.add(normalizer.apply(t.content), t);
        else
            rawMatcher.add(t.content, t);
    }

    const json *post = optField(root, "post_processor");
    if (post)
        parsePostProcessor(*post, "post_processor");

    if (config) {
        requireObject(*config, "tokenizer_config.json");
        bos = configTokenId(*config, "bos_token");
        eos = configTokenId(*config, "eos_token");
        const bool addBos = boolField(*config, "add_bos_token", "tokenizer_config.json", false);
        const bool addEos = boolField(*config, "add_eos_token", "tokenizer_config.json", false);
        if (!post) {
            if (addBos && bos >= 0)
                prefix.push_back(bos);
            if (addEos && eos >= 0)
                suffix.push_back(eos);
        }
    }
}

void Tokenizer::Impl::parsePostProcessor(const json &pp, const std::string &where)
{
    const std::string type = typeOf(pp, where);
    std::vector<int32_t> pre, post;
    if (type == "TemplateProcessing") {
        const json &single = field(pp, "single", where);
        if (!single.is_array())
            fail(where + ": field 'single' must be an array");
        const json *specials = optField(pp, "special_tokens");
        bool seenA = false;
        for (const json &item : single) {
            if (const json *sp = optField(item, "SpecialToken")) {
                const std::string name = stringField(*sp, "id", where + ".single.SpecialToken");
                const json *entry = specials ? optField(*specials, name.c_str()) : nullptr;
                if (!entry)
                    fail(where + ": special token '" + name + "' is not listed in special_tokens");
                const json &ids = field(*entry, "ids", where + ".special_tokens." + name);
                if (!ids.is_array())
                    fail(where + ".special_tokens." + name + ": field 'ids' must be an array");
                for (const json &id : ids)
                    (seenA ? post : pre).push_back(tokenIdValue(id, where + ".special_tokens." + name + " id"));
            } else if (const json *seq = optField(item, "Sequence")) {
                const std::string id = stringField(*seq, "id", where + ".single.Sequence");
                if (id != "A" || seenA)
                    fail(where + ": 'single' template must contain the sequence A exactly once");
                seenA = true;
            } else {
                fail(where + ": unsupported item in 'single' template: " + item.dump());
            }
        }
        if (!seenA)
            fail(where + ": 'single' template has no sequence A");
    } else if (type == "BertProcessing" || type == "RobertaProcessing") {
        for (const char *key : {"cls", "sep"}) {
            const json &pair = field(pp, key, where);
            if (!pair.is_array() || pair.size() != 2)
                fail(where + ": field '" + key + "' must be a [token, id] pair");
            (std::string(key) == "cls" ? pre : post).push_back(tokenIdValue(pair[1], where + "." + key + " id"));
        }
    } else if (type == "ByteLevel") {
        // Offsets only; no ids added.
    } else if (type == "Sequence") {
        const json &list = field(pp, "processors", where);
        if (!list.is_array())
            fail(where + ": field 'processors' must be an array");
        for (std::size_t i = 0; i < list.size(); ++i)
            parsePostProcessor(list[i], where + ".processors[" + std::to_string(i) + "]");
        return;
    } else {
        fail("unsupported post_processor type '" + type + "'");
    }
    // Each processor wraps the result of the previous ones.
    prefix.insert(prefix.begin(), pre.begin(), pre.end());
    suffix.insert(suffix.end(), post.begin(), post.end());
}

int32_t Tokenizer::Impl::lookup(const std::string &content) const
{
    for (const AddedToken &t : added)
        if (t.content == content)
            return t.id;
    return model.find(content);
}

int32_t Tokenizer::Impl::configTokenId(const json &config, const char *key) const
{
    const json *v = optField(config, key);
    if (!v)
        return -1;
    if (v->is_string())
        return lookup(v->get<std::string>());
    if (v->is_object())
        return lookup(stringField(*v, "content", std::string("tokenizer_config.json: ") + key));
    fail(std::string("tokenizer_config.json: field '") + key + "' must be a string or an object with 'content'");
}

// -------------------------------------------------------------------------------------------- encode

void Tokenizer::Impl::encodeNormalized(std::string_view text, bool atTextStart, std::vector<int32_t> &out) const
{
    if (preTokenizer.empty()) {
        model.tokenize(text, out);
        return;
    }
    std::vector<std::string> words;
    preTokenizer.split(text, atTextStart, words);
    for (const std::string &w : words)
        model.tokenize(w, out);
}

void Tokenizer::Impl::encodeText(std::string_view text, std::vector<int32_t> &out) const
{
    std::vector<Segment> segments;
    if (rawMatcher.empty()) {
        if (!text.empty())
            segments.push_back(Segment{0, text.size(), -1});
    } else {
        rawMatcher.split(text, segments);
    }
    std::vector<Segment> inner;
    for (const Segment &seg : segments) {
        if (seg.id >= 0) {
            out.push_back(seg.id);
            continue;
        }
        if (seg.begin == seg.end)
            continue;
        const std::string normalized = normalizer.apply(text.substr(seg.begin, seg.end - seg.begin));
        const bool atTextStart = seg.begin == 0;
        if (normalizedMatcher.empty()) {
            encodeNormalized(normalized, atTextStart, out);
            continue;
        }
        normalizedMatcher.split(normalized, inner);
        for (const Segment &s : inner) {
            if (s.id >= 0)
                out.push_back(s.id);
            else if (s.begin != s.end)
                encodeNormalized(std::string_view(normalized).substr(s.begin, s.end - s.begin),
                                 atTextStart && s.begin == 0, out);
        }
    }
}

// -------------------------------------------------------------------------------------------- decode

const std::string *Tokenizer::Impl::tokenFor(int32_t id, bool skipSpecial) const
{
    if (id < 0 || static_cast<std::size_t>(id) >= idFlags.size())
        return nullptr;
    const uint8_t flags = idFlags[static_cast<std::size_t>(id)];
    if (!(flags & kValid) || (skipSpecial && (flags & kSkippable)))
        return nullptr;
    return &idToToken[static_cast<std::size_t>(id)];
}

// Re-decodes the (short) window `ids` and returns what it produced beyond `emitted`. When the decoder
// holds nothing back afterwards, the window collapses to the mid-stream marker, so the cost per token
// stays bounded by the longest stretch of held-back tokens (e.g. one byte-fallback character).
std::string Tokenizer::Impl::streamStep(std::vector<int32_t> &ids, std::string &emitted, bool skipSpecial,
                                        bool final) const
{
    const bool mid = !ids.empty() && ids.front() == kMidStreamMarker;
    DecoderPipeline::State state = decoder.initialState(mid);
    std::string text;
    for (std::size_t i = mid ? 1 : 0; i < ids.size(); ++i)
        if (const std::string *tok = tokenFor(ids[i], skipSpecial))
            decoder.feed(state, *tok, text);
    if (final)
        decoder.finish(state, text);
    // The pipeline only ever appends, so `text` extends what this window emitted before.
    std::string chunk = text.size() > emitted.size() ? text.substr(emitted.size()) : std::string();
    if (!final && decoder.isClean(state)) {
        ids.assign(1, kMidStreamMarker);
        emitted.clear();
    } else {
        emitted = std::move(text);
    }
    return chunk;
}

// ------------------------------------------------------------------------------------------- public

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;

namespace {
// Builds a tokenizer from parsed JSON, every error prefixed with where it came from.
template <typename ReadFn> Result<std::unique_ptr<Tokenizer>> buildTokenizer(const std::string &origin, ReadFn read)
{
    try {
        json root, config;
        bool haveConfig = false;
        read(root, config, haveConfig);
        auto impl = std::make_unique<Tokenizer::Impl>();
        try {
            impl->build(root, haveConfig ? &config : nullptr);
        } catch (const LoadError &e) {
            fail("tokenizer '" + origin + "': " + e.what());
        }
        return Tokenizer::fromImpl(std::move(impl));
    } catch (const LoadError &e) {
        return makeError(e.what());
    } catch (const json::exception &e) {
        return makeError("tokenizer '" + origin + "': unexpected JSON content: " + e.what());
    } catch (const std::exception &e) {
        return makeError("tokenizer '" + origin + "': " + e.what());
    }
}
} // namespace

std::unique_ptr<Tokenizer> Tokenizer::fromImpl(std::unique_ptr<Impl> impl)
{
    std::unique_ptr<Tokenizer> tok(new Tokenizer());
    tok->d_ = std::move(impl);
    return tok;
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::load(const std::string &tokenizerJson, const std::string &tokenizerConfig)
{
    return buildTokenizer(tokenizerJson, [&](json &root, json &config, bool &haveConfig) {
        root = readJsonFile(tokenizerJson, "tokenizer.json");
        if (!tokenizerConfig.empty()) {
            config = readJsonFile(tokenizerConfig, "tokenizer_config.json");
            haveConfig = true;
        }
    });
}

Result<std::unique_ptr<Tokenizer>>
Tokenizer::fromJson(const std::string &tokenizerJson, const std::string &tokenizerConfigJson, const std::string &origin)
{
    return buildTokenizer(origin, [&](json &root, json &config, bool &haveConfig) {
        root = json::parse(tokenizerJson);
        if (!tokenizerConfigJson.empty()) {
            config = json::parse(tokenizerConfigJson);
            haveConfig = true;
        }
    });
}

Result<std::unique_ptr<Tokenizer>> tokenizerFromJson(nlohmann::json root, const nlohmann::json *config,
                                                     const std::string &origin)
{
    return buildTokenizer(origin, [&](json &r, json &c, bool &haveConfig) {
        r = std::move(root);
        if (config) {
            c = *config;
            haveConfig = true;
        }
    });
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool addSpecial) const
{
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3 + 4);
    if (addSpecial)
        ids = d_->prefix;
    d_->encodeText(text, ids);
    if (addSpecial)
        ids.insert(ids.end(), d_->suffix.begin(), d_->suffix.end());
    return ids;
}

std::string Tokenizer::decode(const std::vector<int32_t> &ids, bool skipSpecial) const
{
    DecoderPipeline::State state = d_->decoder.initialState(false);
    std::string out;
    for (const int32_t id : ids)
        if (const std::string *tok = d_->tokenFor(id, skipSpecial))
            d_->decoder.feed(state, *tok, out);
    d_->decoder.finish(state, out);
    return out;
}

int32_t Tokenizer::vocabSize() const
{
    return static_cast<int32_t>(d_->idToToken.size());
}
int32_t Tokenizer::bosId() const
{
    return d_->bos;
}
int32_t Tokenizer::eosId() const
{
    return d_->eos;
}

std::string Tokenizer::pieceBytes(int32_t id, bool atStart) const
{
    const std::string *tok = d_->tokenFor(id, /*skipSpecial=*/true);
    if (!tok)
        return {};
    DecoderPipeline::State state = d_->decoder.initialState(!atStart);
    state.raw = true;
    std::string out;
    d_->decoder.feed(state, *tok, out);
    d_->decoder.finish(state, out);
    return out;
}

bool Tokenizer::isSpecial(int32_t id) const
{
    return id >= 0 && static_cast<std::size_t>(id) < d_->idFlags.size() &&
           (d_->idFlags[static_cast<std::size_t>(id)] & kSpecial);
}

std::string Tokenizer::tokenString(int32_t id) const
{
    const std::string *tok = d_->tokenFor(id, false);
    return tok ? *tok : std::string();
}

Tokenizer::StreamDecoder::StreamDecoder(const Tokenizer &tok, bool skipSpecial) : tok_(tok), skipSpecial_(skipSpecial)
{
}

std::string Tokenizer::StreamDecoder::push(int32_t id)
{
    const std::string *token = tok_.d_->tokenFor(id, skipSpecial_);
    if (!token)
        return {}; // skipped by decode() as well; never enters the window
    ids_.push_back(id);
    if (tok_.d_->decoder.onlyBuffersBytes(*token))
        return {}; // a byte-fallback run is growing: nothing can be final yet, no need to re-decode
    return tok_.d_->streamStep(ids_, emitted_, skipSpecial_, false);
}

std::string Tokenizer::StreamDecoder::flush()
{
    std::string rest = tok_.d_->streamStep(ids_, emitted_, skipSpecial_, true);
    ids_.clear();
    emitted_.clear();
    return rest;
}

} // namespace smartbot::engine
