// GGUF models: the reader against malformed files, the tokenizer translated from tokenizer.ggml.* against Hugging
// Face's own output, and the models llama.cpp's tools wrote (../shared/models/gguf) against their references:
// stories260K-F32 must give llama2.c's greedy ids exactly; the random Q8_0 / Q4_0 / Q4_K_M models must give their
// float64 reference logits (over the dequantized weights) within the bound of 8-bit activations, and the same greedy
// ids wherever the reference's choice is clear.
#include <QtTest>

#include "require_data.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "gguf/gguf_file.h"
#include "gguf/gguf_model.h"
#include "gguf/gguf_vocab.h"
#include "tokenizer/tokenizer_from_json.h"
#include "gguf/gguf_writer.h"
#include "gguf/quantize.h"
#include "random_model.h"
#include "smartbot/engine/gguf_export.h"
#include "smartbot/engine/engine.h"
#include "smartbot/engine/model_summary.h"

using namespace smartbot::engine;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {
const std::string kShared = SMARTBOT_SHARED_DIR;
const std::string kGgufDir = kShared + "/models/gguf";
const std::string kStoriesDir = kShared + "/models/stories260K";

json readJson(const std::string &path)
{
    std::ifstream in(path);
    return json::parse(in);
}

std::vector<json> readLines(const std::string &path)
{
    std::ifstream in(path);
    std::vector<json> out;
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            out.push_back(json::parse(line));
    return out;
}

std::vector<uint8_t> floats(std::initializer_list<float> v)
{
    std::vector<uint8_t> out(v.size() * 4);
    std::memcpy(out.data(), std::data(v), out.size());
    return out;
}

// A small well-formed file: two metadata entries and one F32 tensor of 8 values.
gguf::Writer smallFile()
{
    gguf::Writer w;
    w.setString("general.architecture", "llama");
    w.setU32("answer", 42);
    w.addTensor("t", gguf::GgmlType::F32, {8}, floats({1, 2, 3, 4, 5, 6, 7, 8}));
    return w;
}

template <typename T> void poke(std::vector<uint8_t> &b, size_t at, T v)
{
    std::memcpy(b.data() + at, &v, sizeof v);
}

// Byte offsets in smallFile(): header 24; key "general.architecture" (8 + 20) and type (4) then the string value.
constexpr size_t kFirstKey = 24, kFirstType = 24 + 8 + 20, kFirstValue = kFirstType + 4;

// Checks a vectors.jsonl file against a tokenizer: encode with and without specials, decode with and without.
int checkVectors(const Tokenizer &tok, const std::string &path, QStringList &failures)
{
    int passed = 0;
    for (const json &v : readLines(path)) {
        const std::string text = v.at("text").get<std::string>();
        const bool ok =
            tok.encode(text, false) == v.at("ids").get<std::vector<int32_t>>() &&
            tok.encode(text, true) == v.at("ids_with_special").get<std::vector<int32_t>>() &&
            tok.decode(v.at("ids").get<std::vector<int32_t>>(), false) == v.at("decoded").get<std::string>();
        if (ok)
            ++passed;
        else if (failures.size() < 5)
            failures << QString::fromStdString(text);
    }
    return passed;
}

// tokenizer.ggml.* for a Hugging Face byte-level tokenizer.json, as llama.cpp's converter writes them.
gguf::Writer byteLevelVocab(const json &tj, const std::string &pre)
{
    std::vector<std::string> tokens;
    std::vector<int32_t> types;
    for (auto it = tj["model"]["vocab"].begin(); it != tj["model"]["vocab"].end(); ++it) {
        const size_t id = it.value().get<size_t>();
        if (tokens.size() <= id)
            tokens.resize(id + 1), types.resize(id + 1, 1);
        tokens[id] = it.key();
    }
    for (const auto &a : tj["added_tokens"]) {
        const size_t id = a["id"].get<size_t>();
        if (tokens.size() <= id)
            tokens.resize(id + 1), types.resize(id + 1, 1);
        tokens[id] = a["content"].get<std::string>();
        types[id] = a["special"].get<bool>() ? 3 : 4;
    }
    std::vector<std::string> merges;
    for (const auto &m : tj["model"]["merges"])
        merges.push_back(m.is_string() ? m.get<std::string>()
                                       : m[0].get<std::string>() + " " + m[1].get<std::string>());
    gguf::Writer w;
    w.setString("tokenizer.ggml.model", "gpt2");
    w.setString("tokenizer.ggml.pre", pre);
    w.setStrings("tokenizer.ggml.tokens", tokens);
    w.setI32s("tokenizer.ggml.token_type", types);
    w.setStrings("tokenizer.ggml.merges", merges);
    w.setBool("tokenizer.ggml.add_bos_token", false);
    return w;
}

double maxAbsDiff(const std::vector<std::vector<float>> &got, const std::vector<std::vector<double>> &want)
{
    double worst = 0;
    for (size_t t = 0; t < want.size(); ++t)
        for (size_t i = 0; i < want[t].size(); ++i)
            worst = std::max(worst, std::abs(double(got[t][i]) - want[t][i]));
    return worst;
}

// Rewrites one tensor's type in a llama.cpp-written file's bytes: finds its info by name.
std::vector<uint8_t> withTensorType(std::vector<uint8_t> bytes, const std::string &name, uint32_t type)
{
    const std::string key = std::string(8, '\0') + name;
    std::string needle = key;
    const uint64_t len = name.size();
    std::memcpy(needle.data(), &len, 8);
    const std::string hay(bytes.begin(), bytes.end());
    const size_t at = hay.find(needle);
    if (at == std::string::npos)
        qFatal("tensor %s not found", name.c_str());
    uint32_t dims;
    std::memcpy(&dims, bytes.data() + at + needle.size(), 4);
    poke<uint32_t>(bytes, at + needle.size() + 4 + 8 * dims, type);
    return bytes;
}

std::vector<uint8_t> fileBytes(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void writeBytes(const std::string &path, const std::vector<uint8_t> &b)
{
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char *>(b.data()), std::streamsize(b.size()));
}

} // namespace

class TestGguf : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        REQUIRE_DATA(kGgufDir + "/stories260K-F32.gguf");
        REQUIRE_DATA(kStoriesDir + "/reference_greedy.json");
    }

    void halfFloatRoundTrip()
    {
        // Every half converts to float exactly and back to itself (NaNs stay NaN).
        for (uint32_t h = 0; h < 0x10000; ++h) {
            const float f = gguf::halfToFloat(uint16_t(h));
            if (std::isnan(f))
                QVERIFY(std::isnan(gguf::halfToFloat(gguf::floatToHalf(f))));
            else
                QCOMPARE(gguf::floatToHalf(f), uint16_t(h));
        }
        QCOMPARE(gguf::floatToHalf(65520.0f), uint16_t(0x7c00));        // rounds to infinity
        QCOMPARE(gguf::floatToHalf(65504.0f), uint16_t(0x7bff));        // the largest half
        QCOMPARE(gguf::floatToHalf(1.0f + 0x1p-11f), uint16_t(0x3c00)); // a tie rounds to even
        QCOMPARE(gguf::floatToHalf(1.0f + 0x1p-10f + 0x1p-11f), uint16_t(0x3c02));
        QCOMPARE(gguf::floatToHalf(0x1p-25f), uint16_t(0)); // half the smallest subnormal: ties to 0
        QCOMPARE(gguf::floatToHalf(-0x1p-24f), uint16_t(0x8001));
    }

    void readsWhatTheWriterWrites()
    {
        gguf::Writer w = smallFile();
        w.setStrings("list", {"a", "bc"});
        w.setF32s("scores", {0.5f, -1});
        auto f = gguf::File::fromMemory(w.bytes());
        QVERIFY2(f.ok(), f.ok() ? "" : f.error().c_str());
        QCOMPARE(f.value()->version(), 3u);
        QCOMPARE(f.value()->string("general.architecture").value(), std::string("llama"));
        QCOMPARE(f.value()->integer("answer").value(), int64_t(42));
        QCOMPARE(f.value()->array("list", "string").value(), json({"a", "bc"}));
        QCOMPARE(f.value()->array("scores", "number").value(), json({0.5, -1.0}));
        const gguf::Tensor *t = f.value()->tensor("t");
        QVERIFY(t);
        QCOMPARE(t->dims, std::vector<int64_t>{8});
        QCOMPARE(t->bytes, uint64_t(32));
        float v[8];
        std::memcpy(v, t->data, sizeof v);
        QCOMPARE(v[7], 8.0f);
        // Typed look-ups name the key and the type found.
        QVERIFY(f.value()->integer("general.architecture").error().find("must be an integer, not string") !=
                std::string::npos);
        QVERIFY(f.value()->string("missing").error().find("'missing' is missing") != std::string::npos);
    }

    void refusesMalformedFiles_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        const auto row = [](const char *name, std::vector<uint8_t> b, const char *expected) {
            QTest::newRow(name) << QByteArray(reinterpret_cast<const char *>(b.data()), qsizetype(b.size()))
                                << QString(expected);
        };
        const std::vector<uint8_t> good = smallFile().bytes();
        auto b = good;
        row("empty", {}, "shorter than its 4-byte magic");
        b = good, b[0] = 'X';
        row("bad magic", b, "not a GGUF file");
        b = good, poke<uint32_t>(b, 4, 1);
        row("version 1", b, "GGUF version 1 is not supported");
        b = good, poke<uint32_t>(b, 4, 0x03000000u);
        row("big-endian", b, "big-endian");
        row("cut in header", std::vector<uint8_t>(good.begin(), good.begin() + 12), "header");
        b = good, poke<uint64_t>(b, 16, uint64_t(1) << 40);
        row("huge kv count", b, "metadata entries, more than the file can hold");
        b = good, poke<uint64_t>(b, 8, uint64_t(1) << 40);
        row("huge tensor count", b, "tensors, more than the file can hold");
        b = good, poke<uint64_t>(b, kFirstKey, uint64_t(1) << 60);
        row("key length past end", b, "runs past the end of the file");
        b = good, poke<uint32_t>(b, kFirstType, 77);
        row("unknown value type", b, "unknown value type 77");
        b = good, poke<uint64_t>(b, kFirstValue, 1000000);
        row("string past end", b, "runs past the end of the file");
        {
            gguf::Writer w = smallFile();
            std::vector<uint8_t> arr(12);
            poke<uint32_t>(arr, 0, 5); // int32 elements
            poke<uint64_t>(arr, 4, uint64_t(1) << 61);
            w.setRaw("big", 9, arr);
            row("array count past end", w.bytes(), "array of 2305843009213693952 elements");
        }
        {
            gguf::Writer w = smallFile();
            std::vector<uint8_t> arr(24);
            poke<uint32_t>(arr, 0, 9); // arrays of arrays of arrays
            poke<uint64_t>(arr, 4, 1);
            poke<uint32_t>(arr, 12, 9);
            poke<uint64_t>(arr, 16, 1);
            arr.resize(40, 0);
            w.setRaw("deep", 9, arr);
            row("arrays nested too deep", w.bytes(), "arrays nested deeper than 2");
        }
        {
            gguf::Writer w = smallFile();
            w.setRaw("flag", 7, {2});
            row("bool 2", w.bytes(), "a bool must be 0 or 1");
        }
        {
            gguf::Writer w = smallFile();
            w.setU32("answer", 43);
            row("duplicate key", w.bytes(), "metadata key 'answer' appears twice");
        }
        {
            gguf::Writer w = smallFile();
            w.setU32("general.alignment", 24);
            row("alignment not a power of two", w.bytes(), "must be a power of two");
        }
        {
            gguf::Writer w = smallFile();
            w.addTensor("t", gguf::GgmlType::F32, {8}, floats({1, 2, 3, 4, 5, 6, 7, 8}));
            row("duplicate tensor", w.bytes(), "tensor 't' appears twice");
        }
        {
            gguf::Writer w;
            w.addTensor("q", gguf::GgmlType::Q8_0, {48}, std::vector<uint8_t>(68));
            row("row not whole blocks", w.bytes(), "not whole Q8_0 blocks of 32");
        }
        {
            gguf::Writer w;
            w.addTensor("z", gguf::GgmlType::F32, {8, 0}, {});
            row("zero dimension", w.bytes(), "dimension 0 is out of range");
        }
        {
            gguf::Writer w;
            w.addTensor("big", gguf::GgmlType::F32, {int64_t(1) << 30, int64_t(1) << 30}, {});
            row("too many elements", w.bytes(), "is out of range");
        }
        {
            gguf::Writer w;
            w.addTensor("five", gguf::GgmlType::F32, {1, 1, 1, 1, 1}, floats({1}));
            row("five dimensions", w.bytes(), "5 dimensions");
        }
        {
            gguf::Writer w;
            w.addTensor("u", gguf::GgmlType(99), {8}, floats({1, 2, 3, 4, 5, 6, 7, 8}));
            row("unknown tensor type", w.bytes(), "unknown tensor type 99");
        }
        {
            std::vector<uint8_t> t = smallFile().bytes();
            t.resize(t.size() - 4);
            row("tensor past end", t, "runs past the end of the file");
        }
        {
            // The offset of tensor 't' is its info's last 8 bytes, just before the padding to the data section.
            gguf::Writer w;
            w.addTensor("t", gguf::GgmlType::F32, {8}, floats({1, 2, 3, 4, 5, 6, 7, 8}));
            std::vector<uint8_t> t = w.bytes();
            poke<uint64_t>(t, 24 + 8 + 1 + 4 + 8 + 4, 4);
            row("misaligned offset", t, "not a multiple of the alignment 32");
        }
    }

    void refusesMalformedFiles()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        auto f = gguf::File::fromMemory(std::vector<uint8_t>(bytes.begin(), bytes.end()));
        QVERIFY(!f.ok());
        QVERIFY2(QString::fromStdString(f.error()).contains(expected), f.error().c_str());
    }

    void storiesTokenizerMatchesHuggingFace()
    {
        // llama.cpp's conversion of tok512 (tokens, scores, types) against HF tokenizers' output for the same
        // vocabulary.
        auto f = gguf::File::open(kGgufDir + "/stories260K-F32.gguf");
        QVERIFY(f.ok());
        auto v = gguf::vocabJson(*f.value());
        QVERIFY2(v.ok(), v.ok() ? "" : v.error().c_str());
        auto tok = Tokenizer::fromJson(v->tokenizerJson(), v->tokenizerConfigJson(), "stories260K-F32.gguf");
        QVERIFY2(tok.ok(), tok.ok() ? "" : tok.error().c_str());
        QStringList failures;
        const int passed = checkVectors(*tok.value(), kShared + "/tokenizers/stories260K/vectors.jsonl", failures);
        QVERIFY2(failures.isEmpty(), qPrintable(failures.join(" | ")));
        QCOMPARE(passed, 163);
    }

    void byteLevelTokenizerMatchesHuggingFace_data()
    {
        QTest::addColumn<QString>("family");
        QTest::addColumn<QString>("pre");
        QTest::newRow("gpt2") << "gpt2"
                              << "gpt2";
        QTest::newRow("qwen2") << "qwen2"
                               << "qwen2";
    }

    void byteLevelTokenizerMatchesHuggingFace()
    {
        QFETCH(QString, family);
        QFETCH(QString, pre);
        const std::string dir = kShared + "/tokenizers/" + family.toStdString();
        REQUIRE_DATA(dir + "/vectors.jsonl");
        auto f = gguf::File::fromMemory(byteLevelVocab(readJson(dir + "/tokenizer.json"), pre.toStdString()).bytes());
        QVERIFY2(f.ok(), f.ok() ? "" : f.error().c_str());
        auto v = gguf::vocabJson(*f.value());
        QVERIFY2(v.ok(), v.ok() ? "" : v.error().c_str());
        auto tok = Tokenizer::fromJson(v->tokenizerJson(), v->tokenizerConfigJson(), family.toStdString());
        QVERIFY2(tok.ok(), tok.ok() ? "" : tok.error().c_str());
        QStringList failures;
        const int passed = checkVectors(*tok.value(), dir + "/vectors.jsonl", failures);
        QVERIFY2(failures.isEmpty(), qPrintable(failures.join(" | ")));
        QCOMPARE(passed, 163);
    }

    void unknownPreTokenizerRefusedByName()
    {
        gguf::Writer w = byteLevelVocab(readJson(kShared + "/tokenizers/gpt2/tokenizer.json"), "falcon-x");
        auto f = gguf::File::fromMemory(w.bytes());
        QVERIFY(f.ok());
        auto v = gguf::vocabJson(*f.value());
        QVERIFY(!v.ok());
        QVERIFY2(v.error().find("tokenizer.ggml.pre 'falcon-x' is not supported (supported: default, gpt2") !=
                     std::string::npos,
                 v.error().c_str());
    }

    void invalidUtf8TokensAsTheirJsonText()
    {
        // A vocabulary may hold partial characters: the tokenizer gets each token text as tokenizer.json's text
        // would give it back (U+FFFD for a bad sequence), though no text is written any more.
        json tj = readJson(kShared + "/tokenizers/gpt2/tokenizer.json");
        const std::string partial = "\xe4\xb8", withBad = "ab\xff"
                                                          "c";
        const int32_t first = int32_t(tj["model"]["vocab"].size()) + 10;
        tj["added_tokens"].push_back({{"id", first}, {"content", partial}, {"special", false}});
        tj["added_tokens"].push_back({{"id", first + 1}, {"content", withBad}, {"special", false}});
        auto f = gguf::File::fromMemory(byteLevelVocab(tj, "gpt2").bytes());
        QVERIFY(f.ok());
        auto v = gguf::vocabJson(*f.value());
        QVERIFY2(v.ok(), v.ok() ? "" : v.error().c_str());
        const auto asText = [](const std::string &s) {
            return json::parse(json(s).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
        };
        QVERIFY(asText(partial) != partial);
        int seen = 0;
        for (const json &t : v->tokenizer["added_tokens"]) {
            if (t["id"] == first || t["id"] == first + 1) {
                QCOMPARE(t["content"].get<std::string>(), asText(t["id"] == first ? partial : withBad));
                ++seen;
            }
        }
        QCOMPARE(seen, 2);
        QVERIFY(json::parse(v->tokenizerJson()) == v->tokenizer); // the values are their own text's parse
        auto tok = tokenizerFromJson(v->tokenizer, &v->config, "test");
        QVERIFY2(tok.ok(), tok.ok() ? "" : tok.error().c_str());
        QCOMPARE(tok.value()->decode({first + 1}, false), asText(withBad));
    }

    void storiesGreedyEqualsReference()
    {
        auto e = Engine::load(kGgufDir + "/stories260K-F32.gguf", LoadOptions{});
        QVERIFY2(e.ok(), e.ok() ? "" : e.error().c_str());
        Engine &engine = *e.value();
        QCOMPARE(engine.info().format, std::string("gguf"));
        QCOMPARE(engine.info().quantization, std::string("F32"));
        QCOMPARE(engine.info().name, std::string("stories260K-F32"));
        QCOMPARE(engine.info().contextLength, 512);
        const json ref = readJson(kStoriesDir + "/reference_greedy.json");
        for (const auto &c : ref["cases"]) {
            const auto promptIds = c["prompt_ids"].get<std::vector<int32_t>>();
            QCOMPARE(engine.tokenizer().encode(c["prompt"].get<std::string>(), true), promptIds);
            GenerationParams p;
            p.maxTokens = c["max_positions"].get<int>() - int(promptIds.size()) + 1;
            auto r = engine.generate(promptIds, p);
            QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
            QCOMPARE(r->ids, c["greedy_ids"].get<std::vector<int32_t>>());
        }
    }

    void storiesEqualsSafetensorsLogits()
    {
        // The same weights from the two formats: the q/k rows un-permuted from GGUF's interleaved RoPE order must
        // give the Hugging Face model's logits (both float32, same kernels: equal to rounding).
        auto g = Engine::load(kGgufDir + "/stories260K-F32.gguf", LoadOptions{});
        auto h = Engine::load(kStoriesDir, LoadOptions{});
        QVERIFY(g.ok() && h.ok());
        const std::vector<int32_t> ids{1, 403, 407, 261, 378, 432, 383, 286, 261, 376};
        for (bool incremental : {false, true}) {
            auto a = g.value()->logits(ids, incremental), b = h.value()->logits(ids, incremental);
            QVERIFY(a.ok() && b.ok());
            double worst = 0;
            for (size_t t = 0; t < ids.size(); ++t)
                for (size_t i = 0; i < (*a)[t].size(); ++i)
                    worst = std::max(worst, double(std::abs((*a)[t][i] - (*b)[t][i])));
            qInfo("%s: max abs logit difference GGUF vs safetensors: %.3g", incremental ? "decode" : "prefill", worst);
            QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
        }
    }

    void quantizedMatchesReference_data()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("Q8_0") << "Q8_0";
        QTest::newRow("Q4_0") << "Q4_0";
        QTest::newRow("Q4_K_M") << "Q4_K_M";
    }

    void quantizedMatchesReference()
    {
        // The quantized kernels quantize activations to 8 bits per block of 32 (kernels/quant_matmul.h), as
        // llama.cpp's do: measured 1.1e-2 to 1.4e-2 at worst on these logits (|logit| up to ~1.5). Greedy ids
        // must equal the reference's wherever the reference's choice leads by more than twice that bound.
        constexpr double kTolerance = 3e-2;
        QFETCH(QString, type);
        const std::string base = kGgufDir + "/random-256-" + type.toStdString();
        REQUIRE_DATA(base + ".gguf");
        auto e = Engine::load(base + ".gguf", LoadOptions{});
        QVERIFY2(e.ok(), e.ok() ? "" : e.error().c_str());
        QCOMPARE(e.value()->info().quantization, type.toStdString());
        QVERIFY(e.value()->info().weightBytes < QFileInfo(QString::fromStdString(base + ".gguf")).size());
        QVERIFY(e.value()->hasChatTemplate());
        const json ref = readJson(base + ".reference.json");
        for (const auto &c : ref["cases"]) {
            const auto ids = c["prompt_ids"].get<std::vector<int32_t>>();
            const auto want = c["logits"].get<std::vector<std::vector<double>>>();
            for (bool incremental : {false, true}) {
                auto got = e.value()->logits(ids, incremental);
                QVERIFY(got.ok());
                const double worst = maxAbsDiff(*got, want);
                qInfo("%s %s: max abs logit difference vs float64 reference: %.3g", qPrintable(type),
                      incremental ? "decode" : "prefill", worst);
                QVERIFY2(worst < kTolerance, qPrintable(QString::number(worst)));
            }
            // Teacher-forced along the reference's greedy continuation: where our top token differs, the two
            // must be within the error bound of each other (a near tie the reference broke the other way).
            const auto greedy = c["greedy_ids"].get<std::vector<int32_t>>();
            std::vector<int32_t> forced = ids;
            forced.insert(forced.end(), greedy.begin(), greedy.end() - 1);
            auto rows = e.value()->logits(forced, true);
            QVERIFY(rows.ok());
            // A prefill (8 sequences and more go through the kernels' register tiles) and the decode steps run the
            // same 8-bit products, which give the same bits whatever the batch: only attention's float sums differ
            // (measured 2e-7 to 5e-7), except where such a difference moves an activation across an 8-bit rounding
            // step (measured once in six cases: 1.5e-2, the 8-bit bound).
            QVERIFY(forced.size() >= 16);
            auto prefill = e.value()->logits(forced, false);
            QVERIFY(prefill.ok());
            double apart = 0;
            for (size_t t = 0; t < forced.size(); ++t)
                for (size_t v = 0; v < (*rows)[t].size(); ++v)
                    apart = std::max(apart, double(std::abs((*prefill)[t][v] - (*rows)[t][v])));
            qInfo("%s prefill of %zu tokens against its decode steps: max abs logit difference %.3g", qPrintable(type),
                  forced.size(), apart);
            QVERIFY2(apart < kTolerance, qPrintable(QString::number(apart)));
            int ties = 0;
            for (size_t t = 0; t < greedy.size(); ++t) {
                const auto &row = (*rows)[ids.size() - 1 + t];
                const auto top = int32_t(std::max_element(row.begin(), row.end()) - row.begin());
                if (top == greedy[t])
                    continue;
                ++ties;
                const double lead = double(row[size_t(top)] - row[size_t(greedy[t])]);
                QVERIFY2(lead < 2 * kTolerance, qPrintable(QString("position %1: token %2 leads the reference's %3 "
                                                                   "by %4")
                                                               .arg(t)
                                                               .arg(top)
                                                               .arg(greedy[t])
                                                               .arg(lead)));
            }
            qInfo("%s: greedy ids equal the reference's at %d of %d positions (the rest near ties)", qPrintable(type),
                  int(greedy.size()) - ties, int(greedy.size()));
        }
    }

    void quantizedBatchedEqualsAlone_data() { quantizedMatchesReference_data(); }

    void quantizedBatchedEqualsAlone()
    {
        // 19 sequences decode together: two groups of 8 go through the batched register tiles, the other 3 (and
        // every sequence stepping alone) through the row-at-a-time kernel. Each must produce exactly what it does
        // alone: the same ids and every token's logprob to the bit (a logit one bit off changes it).
        QFETCH(QString, type);
        const std::string path = kGgufDir + "/random-256-" + type.toStdString() + ".gguf";
        REQUIRE_DATA(path);
        auto e = Engine::load(path, LoadOptions{});
        QVERIFY2(e.ok(), e.ok() ? "" : e.error().c_str());
        Engine &engine = *e.value();
        constexpr int kSequences = 19;
        std::vector<std::vector<int32_t>> prompts;
        std::vector<GenerationParams> params;
        for (int i = 0; i < kSequences; ++i) {
            prompts.push_back({1, int32_t(3 + 7 * i % 200), int32_t(5 + 11 * i % 180)});
            GenerationParams p;
            p.maxTokens = 12;
            p.temperature = 0.9f;
            p.seed = uint64_t(40 + i);
            p.logprobs = 0;
            params.push_back(p);
        }
        std::vector<GenerationResult> alone;
        for (int i = 0; i < kSequences; ++i)
            alone.push_back(engine.generate(prompts[size_t(i)], params[size_t(i)]).value());
        engine.clearPrefixCache();
        std::vector<Engine::StepEvent> events;
        std::map<Engine::SequenceId, int> which;
        for (int i = 0; i < kSequences; ++i) {
            auto id = engine.begin(prompts[size_t(i)], params[size_t(i)], events);
            QVERIFY(id.ok());
            which[id.value()] = i;
        }
        std::map<int, GenerationResult> batched;
        for (int steps = 0; engine.activeSequences() > 0; ++steps) {
            QVERIFY(steps < 100);
            for (const auto &ev : events)
                if (ev.finished)
                    batched[which.at(ev.id)] = ev.result;
            events.clear();
            engine.step(events);
        }
        for (const auto &ev : events)
            if (ev.finished)
                batched[which.at(ev.id)] = ev.result;
        QCOMPARE(int(batched.size()), kSequences);
        for (int i = 0; i < kSequences; ++i) {
            const GenerationResult &b = batched[i], &a = alone[size_t(i)];
            QCOMPARE(b.ids, a.ids);
            QCOMPARE(b.logprobs.size(), a.logprobs.size());
            for (size_t t = 0; t < a.logprobs.size(); ++t)
                QVERIFY2(std::memcmp(&b.logprobs[t].logprob, &a.logprobs[t].logprob, sizeof(float)) == 0,
                         qPrintable(QString("sequence %1 token %2: %3 batched, %4 alone")
                                        .arg(i)
                                        .arg(t)
                                        .arg(double(b.logprobs[t].logprob), 0, 'g', 9)
                                        .arg(double(a.logprobs[t].logprob), 0, 'g', 9)));
        }
    }

    void chatTemplateFromMetadata()
    {
        auto e = Engine::load(kGgufDir + "/random-256-Q8_0.gguf", LoadOptions{});
        QVERIFY(e.ok());
        auto ids = e.value()->encodeChat({{"user", "hi"}});
        QVERIFY(ids.ok());
        QCOMPARE(QString::fromStdString(e.value()->tokenizer().decode(*ids, false)),
                 QString("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"));
    }

    void modelPathResolution()
    {
        QTemporaryDir tmp;
        const std::string dir = tmp.path().toStdString();
        const std::vector<uint8_t> stories = fileBytes(kGgufDir + "/stories260K-F32.gguf");
        fs::create_directories(dir + "/one");
        writeBytes(dir + "/one/model.gguf", stories);
        auto e = Engine::load(dir + "/one", LoadOptions{});
        QVERIFY2(e.ok(), e.ok() ? "" : e.error().c_str());
        QCOMPARE(e.value()->info().name, std::string("model"));
        fs::create_directories(dir + "/two");
        writeBytes(dir + "/two/a.gguf", stories);
        writeBytes(dir + "/two/b.gguf", stories);
        auto two = Engine::load(dir + "/two", LoadOptions{});
        QVERIFY(!two.ok());
        QVERIFY2(two.error().find("several GGUF files (a.gguf, b.gguf)") != std::string::npos, two.error().c_str());
        // Listing and summaries (the Models panel, `smartbotd config check`) read the header only.
        writeBytes(dir + "/loose.gguf", fileBytes(kGgufDir + "/random-256-Q4_K_M.gguf"));
        QCOMPARE(findModelFolders(dir), (std::vector<std::string>{dir + "/loose.gguf", dir + "/one"}));
        auto s = summarizeModel(dir + "/loose.gguf");
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().c_str());
        QCOMPARE(s->name, std::string("loose"));
        QCOMPARE(s->storedDtype, std::string("Q4_K"));
        QCOMPARE(s->layers, int64_t(2));
        QCOMPARE(s->vocabSize, int64_t(512));
        QVERIFY(s->chatTemplate);
        QVERIFY(s->parameters > 256 * 512);
        auto one = summarizeModel(dir + "/one");
        QVERIFY(one.ok());
        QCOMPARE(one->storedDtype, std::string("F32"));
        QVERIFY(!one->chatTemplate);
    }

    void quantizeRoundTrip_data()
    {
        QTest::addColumn<int>("type");
        QTest::addColumn<double>("bound"); // worst |error| / max |x| of a block
        QTest::newRow("Q8_0") << int(gguf::GgmlType::Q8_0) << 0.5 / 127 * 1.01;
        // Q4_0 maps the block's largest magnitude to -8, so the other side reaches only +7: up to a whole step.
        QTest::newRow("Q4_0") << int(gguf::GgmlType::Q4_0) << 1.0 / 8 * 1.01;
        QTest::newRow("Q4_K") << int(gguf::GgmlType::Q4_K) << 0.12;
        QTest::newRow("Q6_K") << int(gguf::GgmlType::Q6_K) << 0.03;
        QTest::newRow("F16") << int(gguf::GgmlType::F16) << 0.001;
        QTest::newRow("BF16") << int(gguf::GgmlType::BF16) << 1.0 / 256;
    }

    void quantizeRoundTrip()
    {
        // Quantized by gguf/quantize.cpp, decoded by the decoders llama.cpp's files validated: each value within
        // the type's step of the original.
        QFETCH(int, type);
        QFETCH(double, bound);
        const auto t = gguf::GgmlType(type);
        std::mt19937 rng{static_cast<uint32_t>(type)};
        std::normal_distribution<float> dist(0.0f, 1.0f);
        std::vector<float> x(2048);
        for (auto &v : x)
            v = dist(rng);
        x[7] = 0; // zero blocks and exact zeros stay finite
        std::fill(x.begin() + 1024, x.begin() + 1280, 0.0f);
        std::vector<uint8_t> blocks;
        gguf::quantizeRow(t, x.data(), int64_t(x.size()), blocks);
        const gguf::GgmlTypeInfo &info = *gguf::ggmlTypeInfo(t);
        QCOMPARE(int64_t(blocks.size()), int64_t(x.size()) / info.blockSize * info.blockBytes);
        std::vector<float> y(x.size());
        info.dequantize(blocks.data(), y.data(), int64_t(x.size()) / info.blockSize);
        double worst = 0, amax = 0;
        for (size_t i = 0; i < x.size(); ++i) {
            QVERIFY(std::isfinite(y[i]));
            worst = std::max(worst, double(std::abs(y[i] - x[i])));
            amax = std::max(amax, double(std::abs(x[i])));
        }
        qInfo("%s: worst error %.3g of max |x| %.3g", info.name, worst, amax);
        QVERIFY2(worst <= bound * amax, qPrintable(QString::number(worst / amax)));
        for (size_t i = 1024; i < 1280; ++i)
            QCOMPARE(y[i], 0.0f);
    }

    void exportedStoriesEqualsSafetensors()
    {
        // The Hugging Face folder written as GGUF F32 (smartbotd model quantize --type f32) and read back: the same
        // logits bit for bit (q/k rows permuted out and back), the same tokenizer (scores from the merges).
        QTemporaryDir tmp;
        const std::string path = tmp.path().toStdString() + "/stories.gguf";
        GgufExportOptions o;
        o.type = "f32";
        auto r = exportGguf(kStoriesDir, path, o);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
        QCOMPARE(r->fileType, std::string("F32"));
        auto g = Engine::load(path, LoadOptions{});
        auto h = Engine::load(kStoriesDir, LoadOptions{});
        QVERIFY2(g.ok(), g.ok() ? "" : g.error().c_str());
        const std::vector<int32_t> ids{1, 403, 407, 261, 378, 432, 383, 286};
        QCOMPARE(*g.value()->logits(ids, false), *h.value()->logits(ids, false));
        QStringList failures;
        const int passed =
            checkVectors(g.value()->tokenizer(), kShared + "/tokenizers/stories260K/vectors.jsonl", failures);
        QVERIFY2(failures.isEmpty(), qPrintable(failures.join(" | ")));
        QCOMPARE(passed, 163);
    }

    void exportedQuantizedModels_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("expectedTypes"); // output, blk.0.attn_q, blk.0.attn_v, blk.1.attn_v
        QTest::addColumn<double>("tolerance");      // max |logit difference| from the F32 file, over max |logit|
        QTest::newRow("q8_0") << "q8_0"
                              << "Q8_0 Q8_0 Q8_0 Q8_0" << 0.02;
        QTest::newRow("q4_0") << "q4_0"
                              << "Q6_K Q4_0 Q4_0 Q4_0" << 0.25;
        QTest::newRow("q4_k_m") << "q4_k_m"
                                << "Q6_K Q4_K Q4_K Q6_K" << 0.25;
    }

    void exportedQuantizedModels()
    {
        QFETCH(QString, type);
        QFETCH(QString, expectedTypes);
        QFETCH(double, tolerance);
        QTemporaryDir tmp;
        const std::string dir = tmp.path().toStdString();
        smartbot::testsupport::RandomModelSpec spec;
        spec.hidden = 256;
        spec.intermediate = 512;
        spec.heads = 4;
        spec.kvHeads = 2;
        spec.tokenizerDir = kStoriesDir;
        spec.keepValues = false;
        smartbot::testsupport::writeRandomModel(dir + "/hf", spec);
        GgufExportOptions o;
        o.type = "f32";
        QVERIFY(exportGguf(dir + "/hf", dir + "/f32.gguf", o).ok());
        o.type = type.toStdString();
        auto r = exportGguf(dir + "/hf", dir + "/q.gguf", o);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
        auto file = gguf::File::open(dir + "/q.gguf");
        QVERIFY(file.ok());
        QStringList types;
        for (const char *name : {"output.weight", "blk.0.attn_q.weight", "blk.0.attn_v.weight", "blk.1.attn_v.weight"})
            types << QString::fromStdString(gguf::ggmlTypeName(file.value()->tensor(name)->type));
        QCOMPARE(types.join(' '), expectedTypes);

        auto f32 = Engine::load(dir + "/f32.gguf", LoadOptions{});
        auto q = Engine::load(dir + "/q.gguf", LoadOptions{});
        QVERIFY2(q.ok(), q.ok() ? "" : q.error().c_str());
        QVERIFY(q.value()->info().weightBytes * 3 < f32.value()->info().weightBytes);
        const std::vector<int32_t> ids{1, 403, 407, 261, 378, 432, 383, 286};
        const auto a = *f32.value()->logits(ids, false), b = *q.value()->logits(ids, true);
        double worst = 0, scale = 0;
        for (size_t t = 0; t < a.size(); ++t)
            for (size_t i = 0; i < a[t].size(); ++i) {
                worst = std::max(worst, double(std::abs(a[t][i] - b[t][i])));
                scale = std::max(scale, double(std::abs(a[t][i])));
            }
        qInfo("%s: max |logit difference| from F32 %.3g (max |logit| %.3g)", qPrintable(type), worst, scale);
        QVERIFY2(worst < tolerance * scale, qPrintable(QString::number(worst / scale)));

        // [model] quantize: the Hugging Face folder quantized as it loads gives the file's blocks, so the same logits
        // bit for bit (prompt and decode paths), the same weight bytes, and the scheme's name.
        LoadOptions onLoad;
        onLoad.quantize = type.toStdString();
        auto h = Engine::load(dir + "/hf", onLoad);
        QVERIFY2(h.ok(), h.ok() ? "" : h.error().c_str());
        QCOMPARE(h.value()->info().quantization, q.value()->info().quantization);
        QCOMPARE(h.value()->info().format, std::string("safetensors"));
        QCOMPARE(h.value()->info().weightBytes, q.value()->info().weightBytes);
        QCOMPARE(*h.value()->logits(ids, true), b);
        QCOMPARE(*h.value()->logits(ids, false), *q.value()->logits(ids, false));
    }

    void exportRefusals()
    {
        QTemporaryDir tmp;
        GgufExportOptions o;
        o.type = "q3_k";
        auto r = exportGguf(kStoriesDir, tmp.path().toStdString() + "/x.gguf", o);
        QVERIFY(!r.ok());
        QVERIFY2(r.error().find("unknown type 'q3_k' (use f32, f16, bf16, q8_0, q4_0 or q4_k_m)") != std::string::npos,
                 r.error().c_str());
        o.type = "q8_0";
        r = exportGguf(tmp.path().toStdString(), tmp.path().toStdString() + "/x.gguf", o);
        QVERIFY(!r.ok());
        QVERIFY(!QFileInfo::exists(tmp.path() + "/x.gguf"));

        // [model] quantize: an unknown scheme, or a 16-bit compute dtype, is refused by name; a GGUF file keeps its
        // own types.
        LoadOptions bad;
        bad.quantize = "q3_k";
        auto e = Engine::load(kStoriesDir, bad);
        QVERIFY(!e.ok());
        QVERIFY2(e.error().find("unknown quantize 'q3_k'") != std::string::npos, e.error().c_str());
        bad.quantize = "q8_0";
        bad.dtype = "bfloat16";
        e = Engine::load(kStoriesDir, bad);
        QVERIFY(!e.ok());
        QVERIFY2(e.error().find("computes in float32, not bfloat16") != std::string::npos, e.error().c_str());
        LoadOptions keep;
        keep.quantize = "q4_0";
        auto g = Engine::load(kGgufDir + "/stories260K-F32.gguf", keep);
        QVERIFY2(g.ok(), g.ok() ? "" : g.error().c_str());
        QCOMPARE(g.value()->info().quantization, std::string("F32"));
    }

    void perplexityAcrossFormats()
    {
        // stories260K was trained on stories like this one.
        const std::string text =
            "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun. One day, "
            "she saw a big red ball in the park. She ran to the ball and kicked it very hard. The ball went up in "
            "the sky. Lily was happy. Her mom said, \"Lily, it is time to go home.\" Lily said, \"Okay, mom!\" "
            "They went home and had a nice dinner together. The end.";
        auto hf = Engine::load(kStoriesDir, LoadOptions{});
        auto gg = Engine::load(kGgufDir + "/stories260K-F32.gguf", LoadOptions{});
        QVERIFY(hf.ok() && gg.ok());
        const std::vector<int32_t> ids = hf.value()->tokenizer().encode(text, true);
        QCOMPARE(gg.value()->tokenizer().encode(text, true), ids);
        const int ctx = 64;
        QVERIFY(ids.size() > size_t(2 * ctx)); // three windows, the last shorter
        auto a = hf.value()->perplexity(ids, ctx), b = gg.value()->perplexity(ids, ctx);
        QVERIFY2(a.ok(), a.ok() ? "" : a.error().c_str());
        QVERIFY(b.ok());
        const int64_t windows = int64_t((ids.size() + ctx - 1) / ctx);
        QCOMPARE(a->tokens, int64_t(ids.size()) - windows);
        QCOMPARE(a->nll, b->nll); // the same logits bit for bit
        qInfo("stories260K: %lld tokens, nll %.4f, ppl %.3f", static_cast<long long>(a->tokens), a->nll, a->ppl);
        QVERIFY(a->ppl > 1.0 && a->ppl < 20.0); // a trained model on its own kind of text
        QCOMPARE(a->ppl, std::exp(a->nll));

        // The same sum from the teacher-forced logits of the public API, window by window, in double.
        double total = 0;
        int64_t count = 0;
        for (size_t start = 0; start + 1 < ids.size(); start += ctx) {
            const std::vector<int32_t> w(ids.begin() + long(start),
                                         ids.begin() + long(std::min(ids.size(), start + ctx)));
            const auto rows = *hf.value()->logits(w, false);
            for (size_t i = 0; i + 1 < w.size(); ++i) {
                double m = -INFINITY, z = 0;
                for (float v : rows[i])
                    m = std::max(m, double(v));
                for (float v : rows[i])
                    z += std::exp(double(v) - m);
                total -= double(rows[i][size_t(w[i + 1])]) - m - std::log(z);
                ++count;
            }
        }
        QCOMPARE(count, a->tokens);
        QVERIFY2(std::abs(total / double(count) - a->nll) < 1e-5, qPrintable(QString::number(total / double(count))));

        // Q8_0 of the same weights moves it by little: the measure users compare quantizations with.
        QTemporaryDir tmp;
        GgufExportOptions o;
        o.type = "q8_0";
        QVERIFY(exportGguf(kStoriesDir, tmp.path().toStdString() + "/q8.gguf", o).ok());
        auto q8 = Engine::load(tmp.path().toStdString() + "/q8.gguf", LoadOptions{});
        QVERIFY(q8.ok());
        auto c = q8.value()->perplexity(ids, ctx);
        QVERIFY(c.ok());
        qInfo("stories260K Q8_0: ppl %.3f (F32 %.3f)", c->ppl, a->ppl);
        QVERIFY(std::abs(c->ppl / a->ppl - 1) < 0.02);

        for (int bad : {1, 513})
            QVERIFY(!hf.value()->perplexity(ids, bad).ok());
        QVERIFY(!hf.value()->perplexity({1}, ctx).ok());
    }

    void refusesModelsItCannotRun_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        const auto row = [](const char *name, const std::vector<uint8_t> &b, const char *expected) {
            QTest::newRow(name) << QByteArray(reinterpret_cast<const char *>(b.data()), qsizetype(b.size()))
                                << QString(expected);
        };
        const std::vector<uint8_t> q8 = fileBytes(kGgufDir + "/random-256-Q8_0.gguf");
        row("IQ2_XXS tensor", withTensorType(q8, "blk.1.ffn_up.weight", 16),
            "tensor 'blk.1.ffn_up.weight' has type IQ2_XXS, which SmartBot cannot run (supported: F32, F16, Q4_0, "
            "Q8_0, Q4_K, Q5_K, Q6_K, BF16)");
        row("Q4_1 tensor", withTensorType(q8, "output.weight", 3), "has type Q4_1");
        const std::string q8s(q8.begin(), q8.end());
        auto renamed = [&q8s](const std::string &from, const std::string &to) {
            std::string s = q8s;
            for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
                s.replace(at, from.size(), to);
            return std::vector<uint8_t>(s.begin(), s.end());
        };
        row("unknown architecture",
            renamed(std::string("\x05\0\0\0\0\0\0\0llama", 13), std::string("\x05\0\0\0\0\0\0\0gemma", 13)),
            "general.architecture 'gemma' is not supported");
        row("missing tensor", renamed("blk.1.ffn_up.weight", "blk.1.ffn_xx.weight"),
            "tensor 'blk.1.ffn_up.weight' is missing");
    }

    void refusesModelsItCannotRun()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        QTemporaryDir tmp;
        const std::string path = tmp.path().toStdString() + "/m.gguf";
        writeBytes(path, std::vector<uint8_t>(bytes.begin(), bytes.end()));
        auto e = Engine::load(path, LoadOptions{});
        QVERIFY(!e.ok());
        QVERIFY2(QString::fromStdString(e.error()).contains(expected), e.error().c_str());
    }
};

QTEST_APPLESS_MAIN(TestGguf)
#include "test_gguf.moc"
