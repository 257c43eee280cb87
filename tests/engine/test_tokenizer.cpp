// Tokenizer tests: HF tokenizer.json reader against vectors produced by the official HF library.
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include "require_data.h"

#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "smartbot/engine/tokenizer.h"

using smartbot::engine::Tokenizer;
using json = nlohmann::json;

namespace {

const std::string kShared = SMARTBOT_SHARED_DIR;

std::string sharedPath(const std::string &rel)
{
    return kShared + "/" + rel;
}

bool exists(const std::string &path)
{
    return QFileInfo::exists(QString::fromStdString(path));
}

// JSON-escaped text for messages (safe for control characters and invalid UTF-8).
std::string show(const std::string &s)
{
    return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string show(const std::vector<int32_t> &ids)
{
    return json(ids).dump();
}

bool validUtf8(const std::string &s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        uint32_t cp = 0;
        if (b < 0x80) {
            ++i;
            continue;
        } else if (b >= 0xC2 && b <= 0xDF) {
            n = 1;
            cp = b & 0x1F;
        } else if (b >= 0xE0 && b <= 0xEF) {
            n = 2;
            cp = b & 0x0F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            n = 3;
            cp = b & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.size())
            return false;
        for (std::size_t k = 1; k <= n; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (c & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += n + 1;
    }
    return true;
}

std::vector<json> readJsonLines(const std::string &path)
{
    std::vector<json> lines;
    std::ifstream in(path, std::ios::binary);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            lines.push_back(json::parse(line));
    return lines;
}

json readJson(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return json::parse(in);
}

void writeFile(const std::string &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::unique_ptr<Tokenizer> loadOrNull(const std::string &dir, std::string *error = nullptr)
{
    auto r = Tokenizer::load(dir + "/tokenizer.json", dir + "/tokenizer_config.json");
    if (!r.ok()) {
        if (error)
            *error = r.error();
        return nullptr;
    }
    return std::move(r).value();
}

// Pushes ids one by one; checks every chunk is valid UTF-8 and that the chunks add up to decode().
// Returns "" on success, else a description.
std::string checkStream(const Tokenizer &tok, const std::vector<int32_t> &ids, bool skipSpecial)
{
    Tokenizer::StreamDecoder stream(tok, skipSpecial);
    std::string all;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const std::string chunk = stream.push(ids[i]);
        if (!validUtf8(chunk))
            return "chunk after id #" + std::to_string(i) + " is not valid UTF-8: " + show(chunk);
        all += chunk;
    }
    const std::string rest = stream.flush();
    if (!validUtf8(rest))
        return "flush() is not valid UTF-8: " + show(rest);
    all += rest;
    const std::string expected = tok.decode(ids, skipSpecial);
    if (all != expected)
        return "stream " + show(all) + " != decode " + show(expected);
    return {};
}

// Checks every vectors.jsonl line; returns the failures (empty when all pass).
QStringList checkVectors(const Tokenizer &tok, const std::vector<json> &lines, int *passed)
{
    QStringList failures;
    *passed = 0;
    for (std::size_t n = 0; n < lines.size(); ++n) {
        const json &v = lines[n];
        const std::string text = v.at("text").get<std::string>();
        const auto ids = v.at("ids").get<std::vector<int32_t>>();
        const auto idsSpecial = v.at("ids_with_special").get<std::vector<int32_t>>();
        const std::string decoded = v.at("decoded").get<std::string>();
        const std::string decodedSkip = v.at("decoded_skip_special").get<std::string>();
        std::string problem;
        if (const auto got = tok.encode(text, false); got != ids)
            problem = "encode(text,false) = " + show(got) + ", expected " + show(ids);
        else if (const auto gotS = tok.encode(text, true); gotS != idsSpecial)
            problem = "encode(text,true) = " + show(gotS) + ", expected " + show(idsSpecial);
        else if (const auto d = tok.decode(ids, false); d != decoded)
            problem = "decode(ids,false) = " + show(d) + ", expected " + show(decoded);
        else if (const auto ds = tok.decode(ids, true); ds != decodedSkip)
            problem = "decode(ids,true) = " + show(ds) + ", expected " + show(decodedSkip);
        if (problem.empty()) {
            ++*passed;
        } else {
            failures << QString::fromStdString("line " + std::to_string(n + 1) + " text " + show(text) + ": " +
                                               problem);
        }
    }
    return failures;
}

// GPT-2's bytes_to_unicode(): the byte-level spelling of byte b.
std::string byteLevelChar(int b)
{
    int next = 256;
    for (int x = 0; x < 256; ++x) {
        const bool printable = (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
        const int c = printable ? x : next++;
        if (x == b) {
            std::string out;
            if (c < 0x80) {
                out += static_cast<char>(c);
            } else {
                out += static_cast<char>(0xC0 | (c >> 6));
                out += static_cast<char>(0x80 | (c & 0x3F));
            }
            return out;
        }
    }
    return {};
}

// A byte-level tokenizer whose vocabulary is the 256 bytes (id = byte value) and nothing else: decode(encode(x))
// shows what the normalizer and pre-tokenizer did to x.
json byteIdentityTokenizer()
{
    json vocab = json::object();
    for (int b = 0; b < 256; ++b)
        vocab[byteLevelChar(b)] = b;
    return {{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array()}}},
            {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}},
            {"decoder", {{"type", "ByteLevel"}}}};
}

// Checks chat_vectors.jsonl: encode(prompt, false) must equal `ids`. Returns the failures.
QStringList checkChatIds(const Tokenizer &tok, const std::vector<json> &lines, int *passed)
{
    QStringList failures;
    *passed = 0;
    for (std::size_t n = 0; n < lines.size(); ++n) {
        const std::string prompt = lines[n].at("prompt").get<std::string>();
        const auto ids = lines[n].at("ids").get<std::vector<int32_t>>();
        const auto got = tok.encode(prompt, false);
        if (got == ids)
            ++*passed;
        else
            failures << QString::fromStdString("line " + std::to_string(n + 1) + " prompt " + show(prompt) + ": got " +
                                               show(got) + ", expected " + show(ids));
    }
    return failures;
}

} // namespace

class TestTokenizer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void stories260kVectors();
    void phi3Vectors();
    void phi3ChatVectors();
    void gpt2Vectors();
    void qwen2Vectors();
    void qwen2ChatVectors();
    void referenceGreedyPrompts();
    void specialIdsAndTokens();
    void decodeSkipsOutOfRangeIds();
    void streamDecoderMatchesDecode();
    void streamDecoderRandomIds();
    void streamDecoderHoldsIncompleteCharacters();
    void byteLevelStreamRandomIds();
    void byteLevelDecodeInvalidUtf8();
    void nfcNormalizer();
    void splitPreTokenizerBehaviors();
    void encodeSpeed();
    void mergesAsPairs();
    void metaspacePreTokenizer();
    void errorMissingFile();
    void errorInvalidJson();
    void errorUnsupportedModel();
    void errorUnsupportedComponents();
    void errorWrongTypes();
    void errorBadRegex();
    void invalidUtf8Input();
};

void TestTokenizer::stories260kVectors()
{
    const std::string dir = sharedPath("tokenizers/stories260K");
    REQUIRE_DATA(dir + "/vectors.jsonl");
    std::string error;
    const auto tok = loadOrNull(dir, &error);
    QVERIFY2(tok, error.c_str());
    const auto lines = readJsonLines(dir + "/vectors.jsonl");
    QVERIFY(!lines.empty());
    int passed = 0;
    const QStringList failures = checkVectors(*tok, lines, &passed);
    qInfo("stories260K vectors.jsonl: %d/%d lines passed", passed, int(lines.size()));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.mid(0, 10).join(QLatin1Char('\n'))));
}

void TestTokenizer::phi3Vectors()
{
    const std::string dir = sharedPath("tokenizers/phi-3-mini");
    REQUIRE_DATA(dir + "/vectors.jsonl");
    std::string error;
    const auto tok = loadOrNull(dir, &error);
    QVERIFY2(tok, error.c_str());
    const auto lines = readJsonLines(dir + "/vectors.jsonl");
    QVERIFY(!lines.empty());
    int passed = 0;
    const QStringList failures = checkVectors(*tok, lines, &passed);
    qInfo("phi-3-mini vectors.jsonl: %d/%d lines passed", passed, int(lines.size()));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.mid(0, 10).join(QLatin1Char('\n'))));
}

void TestTokenizer::phi3ChatVectors()
{
    const std::string dir = sharedPath("tokenizers/phi-3-mini");
    REQUIRE_DATA(dir + "/chat_vectors.jsonl");
    std::string error;
    const auto tok = loadOrNull(dir, &error);
    QVERIFY2(tok, error.c_str());
    const auto lines = readJsonLines(dir + "/chat_vectors.jsonl");
    QVERIFY(!lines.empty());
    int passed = 0;
    const QStringList failures = checkChatIds(*tok, lines, &passed);
    qInfo("phi-3-mini chat_vectors.jsonl: %d/%d lines passed", passed, int(lines.size()));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.mid(0, 10).join(QLatin1Char('\n'))));
}

void TestTokenizer::gpt2Vectors()
{
    const std::string dir = sharedPath("tokenizers/gpt2");
    REQUIRE_DATA(dir + "/vectors.jsonl");
    std::string error;
    auto r = Tokenizer::load(dir + "/tokenizer.json", ""); // gpt2 comes without tokenizer_config.json
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
    const auto lines = readJsonLines(dir + "/vectors.jsonl");
    QVERIFY(!lines.empty());
    int passed = 0;
    const QStringList failures = checkVectors(*r.value(), lines, &passed);
    qInfo("gpt2 vectors.jsonl: %d/%d lines passed", passed, int(lines.size()));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.mid(0, 10).join(QLatin1Char('\n'))));
    QCOMPARE(r.value()->vocabSize(), 50257);
    QVERIFY(r.value()->isSpecial(50256));
}

void TestTokenizer::qwen2Vectors()
{
    const std::string dir = sharedPath("tokenizers/qwen2");
    REQUIRE_DATA(dir + "/vectors.jsonl");
    std::string error;
    const auto tok = loadOrNull(dir, &error);
    QVERIFY2(tok, error.c_str());
    const auto lines = readJsonLines(dir + "/vectors.jsonl");
    QVERIFY(!lines.empty());
    int passed = 0;
    const QStringList failures = checkVectors(*tok, lines, &passed);
    qInfo("qwen2 vectors.jsonl: %d/%d lines passed", passed, int(lines.size()));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.mid(0, 10).join(QLatin1Char('\n'))));
    QCOMPARE(tok->bosId(), -1);     // bos_token: null
    QCOMPARE(tok->eosId(), 151645); // <|im_end|>
    QVERIFY(tok->isSpecial(151644));
    QVERIFY(!tok->isSpecial(151657)); // <tool_call> is an added token but not special
    // Invalid UTF-8 in the text passes the regex split and NFC as raw bytes; decode shows U+FFFD for it.
    const std::string raw("caf\xC3 \xFF\xE4\xBD", 8);
    const auto rawIds = tok->encode(raw, false);
    QCOMPARE(tok->decode(rawIds, false), std::string("caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD"));
    QCOMPARE(checkStream(*tok, rawIds, false), std::string());
}

void TestTokenizer::qwen2ChatVectors()
{
    const std::string dir = sharedPath("tokenizers/qwen2");
    REQUIRE_DATA(dir + "/chat_vectors.jsonl");
    std::string error;
    const auto tok = loadOrNull(dir, &error);
    QVERIFY2(tok, error.c_str());
    const auto lines = readJsonLines(dir + "/chat_vectors.jsonl");
    QVERIFY(!lines.empty());
    int passed = 0;
    QStringList failures = checkChatIds(*tok, lines, &passed);
    qInfo("qwen2 chat_vectors.jsonl: %d/%d lines passed", passed, int(lines.size()));
    for (const json &v : lines) {
        const auto ids = v.at("ids").get<std::vector<int32_t>>();
        if (tok->decode(ids, false) != v.at("decoded").get<std::string>())
            failures << QString::fromStdString("decode of chat " + v.at("name").get<std::string>());
        if (tok->decode(ids, true) != v.at("decoded_skip_special").get<std::string>())
            failures << QString::fromStdString("decode(skip) of chat " + v.at("name").get<std::string>());
        for (const bool skip : {false, true})
            if (const std::string problem = checkStream(*tok, ids, skip); !problem.empty())
                failures << QString::fromStdString("stream of chat " + v.at("name").get<std::string>() + ": " +
                                                   problem);
    }
    QVERIFY2(failures.isEmpty(), qPrintable(failures.mid(0, 10).join(QLatin1Char('\n'))));
}

void TestTokenizer::referenceGreedyPrompts()
{
    const std::string dir = sharedPath("models/stories260K");
    REQUIRE_DATA(dir + "/reference_greedy.json");
    std::string error;
    const auto tok = loadOrNull(dir, &error);
    QVERIFY2(tok, error.c_str());
    const json ref = readJson(dir + "/reference_greedy.json");
    int count = 0;
    for (const json &c : ref.at("cases")) {
        const std::string prompt = c.at("prompt").get<std::string>();
        const auto expected = c.at("prompt_ids").get<std::vector<int32_t>>();
        const auto got = tok->encode(prompt, true);
        QVERIFY2(got == expected, qPrintable(QString::fromStdString("prompt " + show(prompt) + ": got " + show(got) +
                                                                    ", expected " + show(expected))));
        ++count;
    }
    QVERIFY(count > 0);
    qInfo("reference_greedy.json: %d/%d prompts passed", count, count);
}

void TestTokenizer::specialIdsAndTokens()
{
    const std::string stories = sharedPath("tokenizers/stories260K");
    const std::string phi3 = sharedPath("tokenizers/phi-3-mini");
    REQUIRE_DATA(stories + "/tokenizer.json");
    REQUIRE_DATA(phi3 + "/tokenizer.json");
    const auto s = loadOrNull(stories);
    const auto p = loadOrNull(phi3);
    QVERIFY(s && p);
    QCOMPARE(s->vocabSize(), 512);
    QCOMPARE(s->bosId(), 1);
    QCOMPARE(s->eosId(), 2);
    QVERIFY(s->isSpecial(1));
    QVERIFY(!s->isSpecial(410));
    QCOMPARE(s->tokenString(410), std::string("\xE2\x96\x81"));
    QCOMPARE(s->tokenString(-1), std::string());
    QCOMPARE(s->tokenString(512), std::string());

    QCOMPARE(p->vocabSize(), 32011);
    QCOMPARE(p->bosId(), 1);
    QCOMPARE(p->eosId(), 32000); // <|endoftext|>
    QVERIFY(p->isSpecial(32007));
    QVERIFY(!p->isSpecial(2)); // </s> is not special in Phi-3
    QCOMPARE(p->tokenString(32010), std::string("<|user|>"));

    // Without tokenizer_config.json there is no BOS/EOS information.
    auto noConfig = Tokenizer::load(stories + "/tokenizer.json", "");
    QVERIFY(noConfig.ok());
    QCOMPARE(noConfig.value()->bosId(), -1);
    QCOMPARE(noConfig.value()->encode("hello", true).front(), 1); // from the post-processor
}

void TestTokenizer::decodeSkipsOutOfRangeIds()
{
    const std::string dir = sharedPath("tokenizers/phi-3-mini");
    REQUIRE_DATA(dir + "/tokenizer.json");
    const auto tok = loadOrNull(dir);
    QVERIFY(tok);
    const auto ids = tok->encode("Hello world", false);
    std::vector<int32_t> noisy{-5, std::numeric_limits<int32_t>::min(), 32011, 40000};
    noisy.insert(noisy.end(), ids.begin(), ids.end());
    noisy.push_back(std::numeric_limits<int32_t>::max());
    QCOMPARE(tok->decode(noisy, false), std::string("Hello world"));
    QCOMPARE(checkStream(*tok, noisy, false), std::string());
}

void TestTokenizer::streamDecoderMatchesDecode()
{
    int checked = 0;
    for (const char *name : {"stories260K", "phi-3-mini", "gpt2", "qwen2"}) {
        const std::string dir = sharedPath(std::string("tokenizers/") + name);
        REQUIRE_DATA(dir + "/vectors.jsonl");
        const std::string config = exists(dir + "/tokenizer_config.json") ? dir + "/tokenizer_config.json" : "";
        auto loaded = Tokenizer::load(dir + "/tokenizer.json", config);
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().c_str());
        const auto tok = std::move(loaded).value();
        QVERIFY(tok);
        std::vector<int32_t> everything;
        for (const json &v : readJsonLines(dir + "/vectors.jsonl")) {
            const auto ids = v.at("ids_with_special").get<std::vector<int32_t>>();
            for (const bool skip : {false, true}) {
                const std::string problem = checkStream(*tok, ids, skip);
                QVERIFY2(problem.empty(),
                         qPrintable(QString::fromStdString(std::string(name) + " text " +
                                                           show(v.at("text").get<std::string>()) + ": " + problem)));
            }
            everything.insert(everything.end(), ids.begin(), ids.end());
            ++checked;
        }
        // One long stream of all lines back to back.
        for (const bool skip : {false, true})
            QCOMPARE(checkStream(*tok, everything, skip), std::string());
    }
    qInfo("StreamDecoder: %d vector lines checked (with and without skipSpecial)", checked);
}

void TestTokenizer::streamDecoderRandomIds()
{
    for (const char *name : {"stories260K", "phi-3-mini"}) {
        const std::string dir = sharedPath(std::string("tokenizers/") + name);
        REQUIRE_DATA(dir + "/tokenizer.json");
        const auto tok = loadOrNull(dir);
        QVERIFY(tok);
        // Byte-fallback tokens are ids 3..258 in both; mix them with specials and ordinary tokens.
        std::mt19937 rng(1234);
        std::uniform_int_distribution<int32_t> any(0, tok->vocabSize() - 1);
        std::uniform_int_distribution<int32_t> byteTok(3, 258);
        std::uniform_int_distribution<int32_t> kind(0, 9);
        for (int round = 0; round < 200; ++round) {
            std::vector<int32_t> ids;
            const int len = 1 + round % 40;
            for (int i = 0; i < len; ++i)
                ids.push_back(kind(rng) < 6 ? byteTok(rng) : any(rng));
            for (const bool skip : {false, true}) {
                const std::string problem = checkStream(*tok, ids, skip);
                QVERIFY2(problem.empty(),
                         qPrintable(QString::fromStdString(std::string(name) + " ids " + show(ids) + ": " + problem)));
            }
        }
    }
}

void TestTokenizer::streamDecoderHoldsIncompleteCharacters()
{
    const std::string dir = sharedPath("tokenizers/stories260K");
    REQUIRE_DATA(dir + "/tokenizer.json");
    const auto tok = loadOrNull(dir);
    QVERIFY(tok);
    // "你" is three byte-fallback tokens in stories260K: nothing may come out before the character is whole.
    const auto ids = tok->encode("a \xE4\xBD\xA0 b", false);
    Tokenizer::StreamDecoder stream(*tok);
    std::string all;
    for (const int32_t id : ids) {
        const std::string chunk = stream.push(id);
        QVERIFY(validUtf8(chunk));
        all += chunk;
    }
    all += stream.flush();
    QCOMPARE(all, std::string("a \xE4\xBD\xA0 b"));
    // An unfinished character at the end becomes U+FFFD on flush, as decode() does.
    Tokenizer::StreamDecoder partial(*tok);
    QCOMPARE(partial.push(tok->encode("a", false).back()), std::string("a"));
    QCOMPARE(partial.push(3 + 0xE4), std::string());
    QCOMPARE(partial.flush(), std::string("\xEF\xBF\xBD"));
}

void TestTokenizer::byteLevelStreamRandomIds()
{
    for (const char *name : {"gpt2", "qwen2"}) {
        const std::string dir = sharedPath(std::string("tokenizers/") + name);
        REQUIRE_DATA(dir + "/tokenizer.json");
        auto loaded = Tokenizer::load(dir + "/tokenizer.json", "");
        QVERIFY(loaded.ok());
        const Tokenizer &tok = *loaded.value();
        // Ids 0..255 are the single-byte tokens in both: random bytes split and break UTF-8 characters.
        std::mt19937 rng(99);
        std::uniform_int_distribution<int32_t> any(0, tok.vocabSize() - 1);
        std::uniform_int_distribution<int32_t> byteTok(0, 255);
        std::uniform_int_distribution<int32_t> kind(0, 9);
        for (int round = 0; round < 300; ++round) {
            std::vector<int32_t> ids;
            const int len = 1 + round % 50;
            for (int i = 0; i < len; ++i)
                ids.push_back(kind(rng) < 6 ? byteTok(rng) : any(rng));
            for (const bool skip : {false, true}) {
                const std::string problem = checkStream(tok, ids, skip);
                QVERIFY2(problem.empty(),
                         qPrintable(QString::fromStdString(std::string(name) + " ids " + show(ids) + ": " + problem)));
            }
        }
    }
}

void TestTokenizer::byteLevelDecodeInvalidUtf8()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const std::string path = tmp.path().toStdString() + "/tokenizer.json";
    writeFile(path, byteIdentityTokenizer().dump());
    auto r = Tokenizer::load(path, "");
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
    const Tokenizer &tok = *r.value();
    const std::string fffd = "\xEF\xBF\xBD";
    // One U+FFFD per maximal ill-formed subpart, as Rust's from_utf8_lossy.
    QCOMPARE(tok.decode({'a', 0xE4, 0xBD, 'b'}, false), "a" + fffd + "b");
    QCOMPARE(tok.decode({0xFF, 0xC0, 0x80}, false), fffd + fffd + fffd);
    QCOMPARE(tok.decode({0xED, 0xA0, 0x80}, false), fffd + fffd + fffd); // surrogate
    QCOMPARE(tok.decode({0xF0, 0x9F, 0x98}, false), fffd);
    QCOMPARE(tok.decode({0xF0, 0x9F, 0x98, 0x80}, false), std::string("\xF0\x9F\x98\x80"));
    // Raw invalid bytes in the text survive encoding as their byte tokens.
    const std::string raw("x\xFF\xE4\xBD y", 6);
    QCOMPARE(tok.encode(raw, false), (std::vector<int32_t>{'x', 0xFF, 0xE4, 0xBD, ' ', 'y'}));
    QCOMPARE(checkStream(tok, tok.encode(raw, false), false), std::string());
    // Streaming never emits half a character.
    Tokenizer::StreamDecoder stream(tok);
    QCOMPARE(stream.push(0xE4), std::string());
    QCOMPARE(stream.push(0xBD), std::string());
    QCOMPARE(stream.push(0xA0), std::string("\xE4\xBD\xA0"));
    QCOMPARE(stream.push(0xF0), std::string());
    QCOMPARE(stream.push('z'), fffd + "z");
    QCOMPARE(stream.push(0xF0), std::string());
    QCOMPARE(stream.flush(), fffd);
}

void TestTokenizer::nfcNormalizer()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const std::string path = tmp.path().toStdString() + "/tokenizer.json";
    json root = byteIdentityTokenizer();
    root["normalizer"] = {{"type", "NFC"}};
    writeFile(path, root.dump());
    auto r = Tokenizer::load(path, "");
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
    const Tokenizer &nfc = *r.value();
    root["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array({{{"type", "NFD"}}})}};
    writeFile(path, root.dump());
    auto d = Tokenizer::load(path, "");
    QVERIFY2(d.ok(), d.ok() ? "" : d.error().c_str());
    const Tokenizer &nfd = *d.value();
    struct Case {
        const char *in, *nfc, *nfd;
    };
    const std::vector<Case> cases = {
        {"plain ascii", "plain ascii", "plain ascii"},
        {"e\xCC\x81", "\xC3\xA9", "e\xCC\x81"},    // e + U+0301 -> U+00E9
        {"\xE2\x84\xAB", "\xC3\x85", "A\xCC\x8A"}, // U+212B ANGSTROM SIGN
        {"\xE2\x84\xAA", "K", "K"},                // U+212A KELVIN SIGN
        {"\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8", "\xEA\xB0\x81",
         "\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"},                                             // Hangul L V T
        {"\xEA\xB0\x80\xE1\x86\xA8", "\xEA\xB0\x81", "\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"}, // LV + T
        {"a\xCC\x81\xCC\xA8", "\xC4\x85\xCC\x81", "a\xCC\xA8\xCC\x81"},           // reordered, then ą + acute
        {"\xCD\x84", "\xCC\x88\xCC\x81", "\xCC\x88\xCC\x81"},                     // U+0344: non-starter decomposition
        {"\xE0\xA5\x98", "\xE0\xA4\x95\xE0\xA4\xBC", "\xE0\xA4\x95\xE0\xA4\xBC"}, // U+0958: composition exclusion
        {"\xE1\xB8\x8A\xCC\xA3", "\xE1\xB8\x8C\xCC\x87", "D\xCC\xA3\xCC\x87"},    // Ḋ + dot below -> Ḍ + dot above
        {"\xEF\xA4\x80", "\xE8\xB1\x88", "\xE8\xB1\x88"},                         // U+F900 CJK compatibility
        {"\xCC\x81"
         "e",
         "\xCC\x81"
         "e",
         "\xCC\x81"
         "e"}, // leading mark stays
        {"Stra\xC3\x9F"
         "e \xE6\x97\xA5\xE6\x9C\xAC",
         "Stra\xC3\x9F"
         "e \xE6\x97\xA5\xE6\x9C\xAC",
         "Stra\xC3\x9F"
         "e \xE6\x97\xA5\xE6\x9C\xAC"},
    };
    for (const Case &c : cases) {
        QCOMPARE(nfc.decode(nfc.encode(c.in, false), false), std::string(c.nfc));
        QCOMPARE(nfd.decode(nfd.encode(c.in, false), false), std::string(c.nfd));
    }
    // Invalid bytes pass through unchanged (decode turns them into U+FFFD) and block composition.
    QCOMPARE(nfc.encode(std::string("e\xFF\xCC\x81", 4), false), (std::vector<int32_t>{'e', 0xFF, 0xCC, 0x81}));
}

void TestTokenizer::splitPreTokenizerBehaviors()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const std::string path = tmp.path().toStdString() + "/tokenizer.json";
    // Merges join everything, so the tokens show exactly where the pre-tokenizer cut.
    const json vocab = {{"a", 0},   {"b", 1},  {"-", 2},   {"a-", 3},  {"-b", 4},
                        {"a-b", 5}, {"--", 6}, {"a--", 7}, {"a--b", 8}};
    const json merges = json::array({"a -", "- b", "a- b", "- -", "a --", "a-- b"});
    auto tokens = [&](const json &pre, const std::string &text) {
        json root = {{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}}};
        root["pre_tokenizer"] = pre;
        writeFile(path, root.dump());
        auto r = Tokenizer::load(path, "");
        if (!r.ok())
            return std::vector<std::string>{"load error: " + r.error()};
        std::vector<std::string> out;
        for (const int32_t id : r.value()->encode(text, false))
            out.push_back(r.value()->tokenString(id));
        return out;
    };
    using V = std::vector<std::string>;
    auto split = [](const char *behavior, bool invert, json pattern = {{"String", "-"}}) {
        return json{{"type", "Split"}, {"pattern", pattern}, {"behavior", behavior}, {"invert", invert}};
    };
    QCOMPARE(tokens(nullptr, "a-b"), V({"a-b"}));
    QCOMPARE(tokens(split("Isolated", false), "a-b"), V({"a", "-", "b"}));
    QCOMPARE(tokens(split("Removed", false), "a-b"), V({"a", "b"}));
    QCOMPARE(tokens(split("MergedWithPrevious", false), "a-b"), V({"a-", "b"}));
    QCOMPARE(tokens(split("MergedWithNext", false), "a-b"), V({"a", "-b"}));
    QCOMPARE(tokens(split("Isolated", false), "a--b"), V({"a", "-", "-", "b"}));
    QCOMPARE(tokens(split("Contiguous", false), "a--b"), V({"a", "--", "b"}));
    QCOMPARE(tokens(split("MergedWithPrevious", false), "a--b"), V({"a-", "-", "b"}));
    QCOMPARE(tokens(split("Removed", true), "a-b"), V({"-"}));
    QCOMPARE(tokens(split("Removed", false, {{"Regex", "\\p{L}"}}), "a-b"), V({"-"}));
    QCOMPARE(tokens(split("Removed", true, {{"Regex", "\\p{L}"}}), "a--b"), V({"a", "b"}));
    // A Sequence runs the splits one after the other on every piece.
    const json seq = {
        {"type", "Sequence"},
        {"pretokenizers", json::array({split("MergedWithNext", false), split("Removed", false, {{"Regex", "b"}})})}};
    QCOMPARE(tokens(seq, "a-b-a"), V({"a", "-", "-", "a"}));
}

void TestTokenizer::encodeSpeed()
{
    const std::string dir = sharedPath("tokenizers/qwen2");
    REQUIRE_DATA(dir + "/tokenizer.json");
    const auto tok = loadOrNull(dir);
    QVERIFY(tok);
    std::string text;
    const std::string para =
        "The quick brown fox jumps over the lazy dog. It's 2024; prices rose 3.5% (see https://example.com/a?b=1).\n"
        "def reverse(s: str) -> str:\n    return s[::-1]  # comment\n"
        "\xE5\x8C\x97\xE4\xBA\xAC\xE6\x98\xAF\xE4\xB8\xAD\xE5\x9B\xBD\xE7\x9A\x84\xE9\xA6\x96\xE9\x83\xBD\xE3\x80\x82 "
        "Caf\xC3\xA9 na\xC3\xAFve \xF0\x9F\x98\x80\n";
    while (text.size() < 10 * 1024)
        text += para;
    text.resize(10 * 1024);
    while ((static_cast<unsigned char>(text.back()) & 0xC0) == 0x80 || static_cast<unsigned char>(text.back()) >= 0xC0)
        text.pop_back(); // do not end inside a character
    std::size_t count = tok->encode(text, false).size();
    QElapsedTimer timer;
    timer.start();
    const int reps = 20;
    for (int i = 0; i < reps; ++i)
        count = tok->encode(text, false).size();
    const double ms = double(timer.nsecsElapsed()) / 1e6 / reps;
    qInfo("qwen2 encode: %zu bytes -> %zu tokens in %.3f ms (%.1f MB/s)", text.size(), count, ms,
          double(text.size()) / 1e3 / ms);
    QVERIFY(count > 1000);
    QVERIFY2(ms < 500.0, "encoding 10 KB takes far too long");
}

void TestTokenizer::mergesAsPairs()
{
    const std::string dir = sharedPath("tokenizers/stories260K");
    REQUIRE_DATA(dir + "/vectors.jsonl");
    json root = readJson(dir + "/tokenizer.json");
    json pairs = json::array();
    for (const json &m : root["model"]["merges"]) {
        const std::string s = m.get<std::string>();
        const auto sp = s.find(' ');
        pairs.push_back(json::array({s.substr(0, sp), s.substr(sp + 1)}));
    }
    root["model"]["merges"] = pairs;
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const std::string path = tmp.path().toStdString() + "/tokenizer.json";
    writeFile(path, root.dump());
    auto r = Tokenizer::load(path, dir + "/tokenizer_config.json");
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
    int passed = 0;
    const auto lines = readJsonLines(dir + "/vectors.jsonl");
    const QStringList failures = checkVectors(*r.value(), lines, &passed);
    QVERIFY2(failures.isEmpty(), qPrintable(failures.mid(0, 10).join(QLatin1Char('\n'))));
}

void TestTokenizer::metaspacePreTokenizer()
{
    // Metaspace(replacement ▁, prepend_scheme always, no split) instead of the Prepend+Replace normalizer gives
    // the same ids for text that does not start with a space or ▁ (for such text the two are equivalent).
    const std::string dir = sharedPath("tokenizers/phi-3-mini");
    REQUIRE_DATA(dir + "/vectors.jsonl");
    json root = readJson(dir + "/tokenizer.json");
    root["normalizer"] = nullptr;
    root["pre_tokenizer"] = {
        {"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}, {"split", false}};
    root["decoder"] = {{"type", "Sequence"},
                       {"decoders", json::array({{{"type", "ByteFallback"}},
                                                 {{"type", "Metaspace"},
                                                  {"replacement", "\xE2\x96\x81"},
                                                  {"prepend_scheme", "always"},
                                                  {"split", true}}})}};
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const std::string path = tmp.path().toStdString() + "/tokenizer.json";
    writeFile(path, root.dump());
    auto r = Tokenizer::load(path, dir + "/tokenizer_config.json");
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
    const Tokenizer &tok = *r.value();
    int compared = 0;
    for (const json &v : readJsonLines(dir + "/vectors.jsonl")) {
        const std::string text = v.at("text").get<std::string>();
        if (text.empty() || text[0] == ' ' || text.rfind("\xE2\x96\x81", 0) == 0 || text.find('<') != std::string::npos)
            continue;
        const auto ids = v.at("ids").get<std::vector<int32_t>>();
        QVERIFY2(tok.encode(text, false) == ids,
                 qPrintable(QString::fromStdString("text " + show(text) + ": got " + show(tok.encode(text, false)) +
                                                   ", expected " + show(ids))));
        QCOMPARE(checkStream(tok, ids, true), std::string());
        ++compared;
    }
    QVERIFY(compared > 100);
    // Metaspace decoder: the first token loses its ▁, the others turn it into a space.
    QCOMPARE(tok.decode(tok.encode("Hello world", false), true), std::string("Hello world"));

    // split: every ▁ starts a new word, so runs of spaces no longer merge into "▁▁" tokens.
    root["pre_tokenizer"]["split"] = true;
    writeFile(path, root.dump());
    auto split = Tokenizer::load(path, "");
    QVERIFY2(split.ok(), split.ok() ? "" : split.error().c_str());
    QCOMPARE(split.value()->encode("Hello world", false), tok.encode("Hello world", false));
    const auto spaced = split.value()->encode("a  b", false);
    QCOMPARE(spaced.size(), std::size_t(3)); // "▁a", "▁", "▁b"
    QCOMPARE(split.value()->tokenString(spaced[1]), std::string("\xE2\x96\x81"));
    QCOMPARE(split.value()->decode(spaced, false), std::string("a  b"));
}

void TestTokenizer::errorMissingFile()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const std::string missing = tmp.path().toStdString() + "/nope/tokenizer.json";
    auto r = Tokenizer::load(missing, "");
    QVERIFY(!r.ok());
    QVERIFY2(r.error().find("cannot open") != std::string::npos && r.error().find(missing) != std::string::npos,
             r.error().c_str());

    // A missing tokenizer_config.json that was asked for is an error too.
    const std::string dir = sharedPath("tokenizers/stories260K");
    REQUIRE_DATA(dir + "/tokenizer.json");
    auto c = Tokenizer::load(dir + "/tokenizer.json", tmp.path().toStdString() + "/missing_config.json");
    QVERIFY(!c.ok());
    QVERIFY2(c.error().find("tokenizer_config.json") != std::string::npos, c.error().c_str());
}

void TestTokenizer::errorInvalidJson()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const std::string path = tmp.path().toStdString() + "/tokenizer.json";
    writeFile(path, "{\"model\": {\"type\": \"BPE\", ");
    auto r = Tokenizer::load(path, "");
    QVERIFY(!r.ok());
    QVERIFY2(r.error().find("not valid JSON") != std::string::npos, r.error().c_str());

    writeFile(path, "");
    auto e = Tokenizer::load(path, "");
    QVERIFY(!e.ok());
    QVERIFY2(e.error().find("not valid JSON") != std::string::npos, e.error().c_str());
}

void TestTokenizer::errorUnsupportedModel()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const std::string path = tmp.path().toStdString() + "/tokenizer.json";
    writeFile(path, R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})");
    auto r = Tokenizer::load(path, "");
    QVERIFY(!r.ok());
    QVERIFY2(r.error().find("unsupported model type 'Unigram'") != std::string::npos, r.error().c_str());
}

void TestTokenizer::errorUnsupportedComponents()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const std::string path = tmp.path().toStdString() + "/tokenizer.json";
    const json base = {
        {"model", {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}}}, {"merges", json::array({"a b"})}}}};
    struct Case {
        const char *key;
        json value;
        const char *expected;
    };
    const std::vector<Case> cases = {
        {"normalizer", {{"type", "NFKC"}}, "unsupported normalizer type 'NFKC'"},
        {"normalizer",
         {{"type", "Sequence"}, {"normalizers", json::array({{{"type", "Lowercase"}}})}},
         "unsupported normalizer type 'Lowercase'"},
        {"pre_tokenizer", {{"type", "BertPreTokenizer"}}, "unsupported pre_tokenizer type 'BertPreTokenizer'"},
        {"decoder", {{"type", "WordPiece"}}, "unsupported decoder type 'WordPiece'"},
        {"post_processor", {{"type", "Unknown"}}, "unsupported post_processor type 'Unknown'"},
    };
    for (const Case &c : cases) {
        json root = base;
        root[c.key] = c.value;
        writeFile(path, root.dump());
        auto r = Tokenizer::load(path, "");
        QVERIFY2(!r.ok(), c.expected);
        QVERIFY2(r.error().find(c.expected) != std::string::npos, r.error().c_str());
    }
    // The base itself loads and tokenizes.
    writeFile(path, base.dump());
    auto ok = Tokenizer::load(path, "");
    QVERIFY2(ok.ok(), ok.ok() ? "" : ok.error().c_str());
    QCOMPARE(ok.value()->encode("ab", false), std::vector<int32_t>{2});
    QCOMPARE(ok.value()->decode({2, 0}, false), std::string("ab a")); // no decoder: tokens joined by spaces
}

void TestTokenizer::errorWrongTypes()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const std::string path = tmp.path().toStdString() + "/tokenizer.json";
    struct Case {
        const char *json;
        const char *expected;
    };
    const std::vector<Case> cases = {
        {R"([1, 2, 3])", "must be a JSON object"},
        {R"({"normalizer": null})", "missing field 'model'"},
        {R"({"model": {"type": "BPE", "merges": []}})", "missing field 'vocab'"},
        {R"({"model": {"type": "BPE", "vocab": [], "merges": []}})", "'vocab' must be an object"},
        {R"({"model": {"type": "BPE", "vocab": {"a": "x"}, "merges": []}})", "model.vocab id of 'a'"},
        {R"({"model": {"type": "BPE", "vocab": {"a": -3}, "merges": []}})", "out of range"},
        {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a c"]}})", "token 'c'"},
        {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [42]}})", "model.merges[0]"},
        {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "byte_fallback": "yes"}})", "'byte_fallback'"},
        {R"({"model": {"type": 7, "vocab": {}, "merges": []}})", "'type' must be a string"},
        {R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "added_tokens": [{"id": 1}]})", "'content'"},
        {R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "added_tokens": {}})", "'added_tokens'"},
        {R"({"model": {"type": "BPE", "vocab": {}, "merges": []},
             "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}],
                                "special_tokens": {}}})",
         "'<s>'"},
        {R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "decoder": {"type": "Strip", "content": "ab"}})",
         "single character"},
    };
    for (const Case &c : cases) {
        writeFile(path, c.json);
        auto r = Tokenizer::load(path, "");
        QVERIFY2(!r.ok(), c.json);
        QVERIFY2(r.error().find(c.expected) != std::string::npos, qPrintable(QString::fromStdString(r.error())));
    }
    // A malformed tokenizer_config.json is reported with its field.
    const std::string cfg = tmp.path().toStdString() + "/tokenizer_config.json";
    writeFile(path, R"({"model": {"type": "BPE", "vocab": {"<s>": 0}, "merges": []}})");
    writeFile(cfg, R"({"bos_token": 5})");
    auto r = Tokenizer::load(path, cfg);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().find("bos_token") != std::string::npos, r.error().c_str());
    writeFile(cfg, R"({"bos_token": {"content": "<s>"}, "add_bos_token": true})");
    auto ok = Tokenizer::load(path, cfg);
    QVERIFY2(ok.ok(), ok.ok() ? "" : ok.error().c_str());
    QCOMPARE(ok.value()->bosId(), 0);
    QCOMPARE(ok.value()->encode("", true), std::vector<int32_t>{0}); // no post_processor: add_bos_token applies
}

void TestTokenizer::errorBadRegex()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const std::string path = tmp.path().toStdString() + "/tokenizer.json";
    json root = {{"model", {{"type", "BPE"}, {"vocab", {{"a", 0}}}, {"merges", json::array()}}}};
    root["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(ab"}}}, {"behavior", "Isolated"}};
    writeFile(path, root.dump());
    auto r = Tokenizer::load(path, "");
    QVERIFY(!r.ok());
    QVERIFY2(r.error().find("invalid regex") != std::string::npos && r.error().find("(ab") != std::string::npos,
             r.error().c_str());
    root["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "a"}}}, {"behavior", "Sideways"}};
    writeFile(path, root.dump());
    auto b = Tokenizer::load(path, "");
    QVERIFY(!b.ok());
    QVERIFY2(b.error().find("unsupported Split behavior 'Sideways'") != std::string::npos, b.error().c_str());
}

void TestTokenizer::invalidUtf8Input()
{
    const std::string dir = sharedPath("tokenizers/stories260K");
    REQUIRE_DATA(dir + "/tokenizer.json");
    const auto tok = loadOrNull(dir);
    QVERIFY(tok);
    // Stray bytes fall back to their byte tokens; decoding turns the invalid run into U+FFFD per byte.
    const std::string text("a\xFF\xC3 b\xE4\xBD", 7);
    const auto ids = tok->encode(text, false);
    QVERIFY(!ids.empty());
    const std::string decoded = tok->decode(ids, false);
    QVERIFY(validUtf8(decoded));
    QCOMPARE(decoded, std::string("a\xEF\xBF\xBD\xEF\xBF\xBD b\xEF\xBF\xBD\xEF\xBF\xBD"));
    QCOMPARE(checkStream(*tok, ids, false), std::string());
}

QTEST_APPLESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
