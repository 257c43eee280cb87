// Engine fidelity (reference greedy ids and logits from llama2.c / float64), config and safetensors validation.
#include <QtTest>

#include "require_data.h"

#include <cstring>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "model/config.h"
#include "model/safetensors.h"
#include "sampling/stop_matcher.h"
#include "smartbot/engine/engine.h"
#include "smartbot/engine/structured_output.h"

using namespace smartbot::engine;
using json = nlohmann::json;

namespace {
const std::string kModelDir = std::string(SMARTBOT_SHARED_DIR) + "/models/stories260K";

json readJson(const std::string &path)
{
    std::ifstream in(path);
    return json::parse(in);
}

// A safetensors file image: header JSON + data bytes.
std::vector<uint8_t> image(const json &header, size_t dataBytes, int64_t headerLenOverride = -1)
{
    const std::string h = header.dump();
    const uint64_t len = headerLenOverride >= 0 ? uint64_t(headerLenOverride) : h.size();
    std::vector<uint8_t> out(8);
    for (int i = 0; i < 8; ++i)
        out[size_t(i)] = uint8_t((len >> (8 * i)) & 0xff);
    out.insert(out.end(), h.begin(), h.end());
    out.resize(out.size() + dataBytes, 0);
    return out;
}
} // namespace

class TestEngine : public QObject {
    Q_OBJECT
    std::unique_ptr<Engine> engine;

private Q_SLOTS:
    void initTestCase()
    {
        REQUIRE_DATA(kModelDir + "/config.json");
        auto e = Engine::load(kModelDir, LoadOptions{});
        QVERIFY2(e.ok(), e.ok() ? "" : e.error().c_str());
        engine = std::move(e.value());
        QCOMPARE(engine->info().architecture, std::string("LlamaForCausalLM"));
        QCOMPARE(engine->info().vocabSize, 512);
    }

    void referenceGreedy()
    {
        const json ref = readJson(kModelDir + "/reference_greedy.json");
        QVERIFY(ref["cases"].size() >= 3);
        for (const auto &c : ref["cases"]) {
            const auto promptIds = c["prompt_ids"].get<std::vector<int32_t>>();
            const auto expected = c["greedy_ids"].get<std::vector<int32_t>>();
            QCOMPARE(engine->tokenizer().encode(c["prompt"].get<std::string>(), true), promptIds);
            GenerationParams p;
            p.maxTokens = c["max_positions"].get<int>() - int(promptIds.size()) + 1;
            auto r = engine->generate(promptIds, p);
            QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
            QCOMPARE(r->ids, expected);
            QCOMPARE(r->promptIds, promptIds);
            const std::string text = c["greedy_text"].get<std::string>();
            std::vector<int32_t> all = promptIds;
            all.insert(all.end(), r->ids.begin(), r->ids.end());
            QCOMPARE(QString::fromStdString(engine->tokenizer().decode(all, true)), QString::fromStdString(text));
        }
    }

    void referenceLogits()
    {
        const json ref = readJson(kModelDir + "/reference_logits.json");
        const auto ids = ref["tokens"].get<std::vector<int32_t>>();
        const auto expected = ref["logits"].get<std::vector<std::vector<double>>>();
        // Both paths: the batched prefill pass and the KV-cache decode steps that generation uses.
        for (bool incremental : {false, true}) {
            auto r = engine->logits(ids, incremental);
            QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
            QCOMPARE(r->size(), expected.size());
            double maxDiff = 0;
            for (size_t t = 0; t < expected.size(); ++t) {
                QCOMPARE((*r)[t].size(), expected[t].size());
                for (size_t i = 0; i < expected[t].size(); ++i)
                    maxDiff = std::max(maxDiff, std::abs(double((*r)[t][i]) - expected[t][i]));
            }
            qInfo("%s: max abs logit difference vs float64 reference: %.3g", incremental ? "decode steps" : "prefill",
                  maxDiff);
            QVERIFY2(maxDiff < 1e-4, qPrintable(QString("max abs diff %1").arg(maxDiff)));
        }
    }

    void incrementalMatchesTeacherForced()
    {
        // The KV-cache path (prefill + one token at a time) must agree with the full forward pass.
        const std::vector<int32_t> ids{1, 403, 407, 261, 378, 432, 383, 286};
        auto full = engine->logits(ids);
        QVERIFY(full.ok());
        GenerationParams p;
        p.maxTokens = 1;
        auto r = engine->generate(std::vector<int32_t>(ids.begin(), ids.end()), p);
        QVERIFY(r.ok());
        const auto &last = full->back();
        QCOMPARE(r->ids.front(), int32_t(std::max_element(last.begin(), last.end()) - last.begin()));
    }

    void samplingIsSeededAndStops()
    {
        GenerationParams p;
        p.maxTokens = 40;
        p.temperature = 0.9f;
        p.topP = 0.9f;
        p.topK = 40;
        p.seed = 1234;
        const auto prompt = engine->tokenizer().encode("Once upon a time", true);
        auto a = engine->generate(prompt, p), b = engine->generate(prompt, p);
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(a->ids, b->ids);
        p.seed = 99;
        auto c = engine->generate(prompt, p);
        QVERIFY(c.ok());
        QVERIFY(c->ids != a->ids);
        // The reply ends by its length cap exactly when it has max_tokens tokens (not merely "at most 40").
        QVERIFY(!a->ids.empty());
        QCOMPARE(a->finish == smartbot::engine::FinishReason::Length, a->ids.size() == std::size_t(p.maxTokens));
        // top_k = 1 is greedy whatever the temperature.
        GenerationParams g;
        g.maxTokens = 20;
        GenerationParams k1 = g;
        k1.temperature = 1.5f;
        k1.topK = 1;
        QCOMPARE(engine->generate(prompt, k1)->ids, engine->generate(prompt, g)->ids);
        // Max tokens is honoured and reported as "length".
        g.maxTokens = 3;
        auto l = engine->generate(prompt, g);
        QCOMPARE(l->ids.size(), size_t(3));
        QCOMPARE(l->finish, FinishReason::Length);
    }

    void streamingCallbackSeesEveryPiece()
    {
        GenerationParams p;
        p.maxTokens = 60;
        std::string streamed;
        int calls = 0;
        auto r = engine->generate(engine->tokenizer().encode("Tom and his dog", true), p,
                                  [&](int32_t, const std::string &piece) {
                                      streamed += piece;
                                      ++calls;
                                      return true;
                                  });
        QVERIFY(r.ok());
        QCOMPARE(streamed, r->text);
        QVERIFY(calls > 0 && calls <= int(r->ids.size()) + 1);
        // Cancelling from the callback stops generation.
        int seen = 0;
        auto c = engine->generate(engine->tokenizer().encode("Tom and his dog", true), p,
                                  [&](int32_t, const std::string &) { return ++seen < 5; });
        QVERIFY(c.ok());
        QCOMPARE(c->ids.size(), size_t(5));
    }

    void stopStrings()
    {
        const auto prompt = engine->tokenizer().encode("Once upon a time", true);
        GenerationParams g;
        g.maxTokens = 40;
        const std::string plain = engine->generate(prompt, g)->text;
        for (const std::string stop : {"Lily", "girl named", ", there", "."}) {
            const size_t at = plain.find(stop);
            QVERIFY2(at != std::string::npos, stop.c_str());
            GenerationParams s = g;
            s.stop = {"never-appears", stop};
            std::string streamed;
            auto r = engine->generate(prompt, s, [&](int32_t, const std::string &piece) {
                streamed += piece;
                return true;
            });
            QVERIFY(r.ok());
            QCOMPARE(r->text, plain.substr(0, at));
            QCOMPARE(streamed, r->text);
            QCOMPARE(r->finish, FinishReason::Stop);
        }
        // A stop string that never appears changes nothing.
        GenerationParams n = g;
        n.stop = {"zebra"};
        QCOMPARE(engine->generate(prompt, n)->text, plain);
    }

    void stopMatcherHoldsBackPrefixes()
    {
        StopMatcher m({"abc", "xy"});
        auto a = m.push("12ab");
        QCOMPARE(a.first, std::string("12"));
        QVERIFY(!a.second);
        auto b = m.push("d");
        QCOMPARE(b.first, std::string("abd"));
        auto c = m.push("--x");
        QCOMPARE(c.first, std::string("--"));
        auto d = m.push("y tail");
        QCOMPARE(d.first, std::string(""));
        QVERIFY(d.second);
        QVERIFY(m.stopped());
        StopMatcher none({});
        QCOMPARE(none.push("abc").first, std::string("abc"));
    }

    void penalties()
    {
        const auto prompt = engine->tokenizer().encode("Once upon a time", true);
        GenerationParams g;
        g.maxTokens = 80;
        const auto plain = engine->generate(prompt, g)->ids;
        auto distinct = [](std::vector<int32_t> v) {
            std::sort(v.begin(), v.end());
            return std::unique(v.begin(), v.end()) - v.begin();
        };
        GenerationParams f = g;
        f.frequencyPenalty = 1.5f;
        const auto freq = engine->generate(prompt, f)->ids;
        QVERIFY(freq != plain);
        QVERIFY(distinct(freq) > distinct(plain));
        GenerationParams p = g;
        p.presencePenalty = 1.5f;
        const auto pres = engine->generate(prompt, p)->ids;
        QVERIFY(pres != plain);
        QVERIFY(distinct(pres) > distinct(plain));
        GenerationParams r = g;
        r.repetitionPenalty = 1.3f;
        const auto rep = engine->generate(prompt, r)->ids;
        QVERIFY(rep != plain);
        // Penalties are deterministic under greedy decoding.
        QCOMPARE(engine->generate(prompt, f)->ids, freq);
    }

    void logitBias()
    {
        const auto prompt = engine->tokenizer().encode("Once upon a time", true);
        GenerationParams g;
        g.maxTokens = 12;
        const auto plain = engine->generate(prompt, g)->ids;
        QVERIFY(!plain.empty());
        // -100 on the greedy first token: it never appears; +100 on another token: it is all that is produced.
        GenerationParams ban = g;
        ban.logitBias = {{plain[0], -100.0f}};
        const auto banned = engine->generate(prompt, ban)->ids;
        QVERIFY(std::find(banned.begin(), banned.end(), plain[0]) == banned.end());
        const int32_t forced = plain[0] == 300 ? 301 : 300;
        GenerationParams force = g;
        force.logitBias = {{forced, 100.0f}, {-5, 50.0f}, {1 << 30, 50.0f}}; // out-of-vocabulary ids are ignored
        force.temperature = 1.0f;
        force.seed = 7;
        const auto all = engine->generate(prompt, force)->ids;
        QCOMPARE(all, std::vector<int32_t>(size_t(g.maxTokens), forced));
    }

    // logprobs report the model's own distribution: the log-softmax of the teacher-forced logits at each step,
    // whatever the sampling settings; top alternatives in order; streamed events carry them with their pieces.
    void logprobs_data()
    {
        QTest::addColumn<float>("temperature");
        QTest::addColumn<float>("presencePenalty");
        QTest::addColumn<int>("top");
        QTest::newRow("greedy, 3 alternatives") << 0.0f << 0.0f << 3;
        QTest::newRow("sampled with a penalty, none") << 1.0f << 1.5f << 0;
        QTest::newRow("sampled, 20 alternatives") << 0.8f << 0.0f << 20;
    }
    void logprobs()
    {
        QFETCH(float, temperature);
        QFETCH(float, presencePenalty);
        QFETCH(int, top);
        const auto prompt = engine->tokenizer().encode("Once upon a time", true);
        GenerationParams p;
        p.maxTokens = 10;
        p.temperature = temperature;
        p.presencePenalty = presencePenalty;
        p.seed = 11;
        p.logprobs = top;
        std::vector<TokenLogprob> streamed;
        std::vector<Engine::StepEvent> events;
        auto id = engine->begin(prompt, p, events);
        QVERIFY(id.ok());
        GenerationResult r;
        for (bool done = false; !done;) {
            for (auto &e : events) {
                streamed.insert(streamed.end(), e.logprobs.begin(), e.logprobs.end());
                if (e.finished) {
                    r = e.result;
                    done = true;
                }
            }
            events.clear();
            if (!done)
                engine->step(events);
        }
        QVERIFY(!r.ids.empty());
        QCOMPARE(r.logprobs.size(), r.ids.size());
        QCOMPARE(streamed.size(), r.ids.size());
        std::vector<int32_t> all = prompt;
        all.insert(all.end(), r.ids.begin(), r.ids.end());
        const auto rows = engine->logits(all);
        QVERIFY(rows.ok());
        for (size_t i = 0; i < r.ids.size(); ++i) {
            const TokenLogprob &lp = r.logprobs[i];
            QCOMPARE(lp.id, r.ids[i]);
            QCOMPARE(streamed[i].id, r.ids[i]);
            QCOMPARE(lp.bytes, engine->tokenizer().pieceBytes(lp.id, false));
            const std::vector<float> &row = rows.value()[prompt.size() + i - 1];
            double z = 0;
            for (float v : row)
                z += std::exp(double(v));
            const auto expected = [&](int32_t t) { return double(row[size_t(t)]) - std::log(z); };
            QVERIFY2(std::abs(lp.logprob - expected(lp.id)) < 1e-3, std::to_string(i).c_str());
            QCOMPARE(int(lp.top.size()), top);
            for (size_t k = 0; k < lp.top.size(); ++k) {
                QVERIFY(std::abs(lp.top[k].logprob - expected(lp.top[k].id)) < 1e-3);
                if (k > 0)
                    QVERIFY(lp.top[k].logprob <= lp.top[k - 1].logprob);
            }
            if (top > 0) {
                QCOMPARE(lp.top[0].id, int32_t(std::max_element(row.begin(), row.end()) - row.begin()));
                if (temperature == 0.0f)
                    QCOMPARE(lp.top[0].id, lp.id);
            }
        }
        GenerationParams off = p;
        off.logprobs = -1;
        const auto plain = engine->generate(prompt, off);
        QCOMPARE(plain->ids, r.ids); // asking for logprobs changes nothing else
        QVERIFY(plain->logprobs.empty());
    }

    // Scoring a text (OpenAI's echo + logprobs + max_tokens 0): every prompt token after the first, even when the
    // prefix cache holds the prompt.
    void promptLogprobs()
    {
        const auto prompt = engine->tokenizer().encode("Lily and Ben went to the park to play", true);
        GenerationParams warm;
        warm.maxTokens = 2;
        QVERIFY(engine->generate(prompt, warm).ok()); // the prompt is now in the prefix cache
        GenerationParams p;
        p.maxTokens = 0;
        p.promptLogprobs = true;
        p.logprobs = 2;
        const auto r = engine->generate(prompt, p);
        QVERIFY(r.ok());
        QVERIFY(r->ids.empty());
        QCOMPARE(r->cachedPromptTokens, int64_t(0));
        QCOMPARE(r->promptLogprobs.size(), prompt.size());
        QCOMPARE(r->promptLogprobs[0].id, prompt[0]); // BOS: nothing before it
        QVERIFY(std::isnan(r->promptLogprobs[0].logprob));
        QVERIFY(r->promptLogprobs[0].special);
        const auto rows = engine->logits(prompt);
        for (size_t i = 0; i + 1 < prompt.size(); ++i) {
            const auto &row = rows.value()[i];
            double z = 0;
            for (float v : row)
                z += std::exp(double(v));
            const TokenLogprob &lp = r->promptLogprobs[i + 1];
            QCOMPARE(lp.id, prompt[i + 1]);
            QVERIFY(!lp.special);
            QVERIFY(std::abs(lp.logprob - (double(row[size_t(prompt[i + 1])]) - std::log(z))) < 1e-3);
            QCOMPARE(lp.top.size(), size_t(2));
        }
        GenerationParams more = p;
        more.maxTokens = 4; // and then generation goes on as usual
        const auto g = engine->generate(prompt, more);
        GenerationParams plain;
        plain.maxTokens = 4;
        QCOMPARE(g->ids, engine->generate(prompt, plain)->ids);
        QCOMPARE(g->promptLogprobs.size(), prompt.size());
    }

    // Embeddings: mean-pooled final hidden states, unit length; packing inputs together changes nothing. Because
    // the output layer is linear, W x embedding is proportional to the mean of the teacher-forced logits rows
    // (stories260K ties W to the token embeddings): an independent check of what is pooled.
    void embeddings()
    {
        const auto a = engine->tokenizer().encode("The cat sat on the mat.", true);
        const auto b = engine->tokenizer().encode("Tim had a big red ball", true);
        const auto both = engine->embed({a, b});
        QVERIFY2(both.ok(), both.ok() ? "" : both.error().c_str());
        QCOMPARE(both->size(), size_t(2));
        QCOMPARE(int(both->at(0).size()), engine->info().hiddenSize);
        QCOMPARE(engine->info().pooling, Pooling::Mean);
        const std::vector<std::vector<int32_t>> alone[2] = {{a}, {b}};
        for (int i = 0; i < 2; ++i) {
            const auto one = engine->embed(alone[i]);
            QVERIFY(one.ok());
            double norm = 0, diff = 0;
            for (size_t c = 0; c < one->at(0).size(); ++c) {
                norm += double(both->at(size_t(i))[c]) * both->at(size_t(i))[c];
                diff = std::max(diff, double(std::abs(one->at(0)[c] - both->at(size_t(i))[c])));
            }
            QVERIFY(std::abs(norm - 1.0) < 1e-5);
            QVERIFY2(diff < 1e-5, std::to_string(diff).c_str());
        }
        QVERIFY(both->at(0) != both->at(1));

        auto weights = SafetensorsFile::open(kModelDir + "/model.safetensors");
        QVERIFY(weights.ok());
        const TensorView *w = weights.value()->find("model.embed_tokens.weight");
        QVERIFY(w && w->dtype == DType::F32);
        const int64_t vocab = w->shape[0], dim = w->shape[1];
        const float *W = reinterpret_cast<const float *>(w->data);
        const auto rows = engine->logits(a);
        std::vector<double> mean(size_t(vocab), 0.0), projected(size_t(vocab), 0.0);
        for (const auto &row : rows.value())
            for (int64_t t = 0; t < vocab; ++t)
                mean[size_t(t)] += row[size_t(t)] / double(rows->size());
        for (int64_t t = 0; t < vocab; ++t)
            for (int64_t c = 0; c < dim; ++c)
                projected[size_t(t)] += double(W[t * dim + c]) * both->at(0)[size_t(c)];
        double dot = 0, nm = 0, np = 0;
        for (int64_t t = 0; t < vocab; ++t) {
            dot += mean[size_t(t)] * projected[size_t(t)];
            nm += mean[size_t(t)] * mean[size_t(t)];
            np += projected[size_t(t)] * projected[size_t(t)];
        }
        const double cosine = dot / std::sqrt(nm * np);
        QVERIFY2(cosine > 0.99999, std::to_string(cosine).c_str());
        // The same check for an input long enough (over 256 tokens) to run alone, in slices through a KV cache.
        std::string story;
        while (engine->tokenizer().encode(story, true).size() < 400)
            story += "Lily saw a big dog in the park. ";
        const auto longIds = engine->tokenizer().encode(story, true);
        const auto longEmbedding = engine->embed({a, longIds, b});
        QVERIFY(longEmbedding.ok());
        for (int i : {0, 2})
            for (size_t c = 0; c < longEmbedding->at(0).size(); ++c)
                QVERIFY(std::abs(longEmbedding->at(size_t(i))[c] - both->at(size_t(i / 2))[c]) < 1e-5);
        const auto longRows = engine->logits(longIds);
        std::fill(mean.begin(), mean.end(), 0.0);
        std::fill(projected.begin(), projected.end(), 0.0);
        for (const auto &row : longRows.value())
            for (int64_t t = 0; t < vocab; ++t)
                mean[size_t(t)] += row[size_t(t)] / double(longRows->size());
        for (int64_t t = 0; t < vocab; ++t)
            for (int64_t c = 0; c < dim; ++c)
                projected[size_t(t)] += double(W[t * dim + c]) * longEmbedding->at(1)[size_t(c)];
        dot = nm = np = 0;
        for (int64_t t = 0; t < vocab; ++t) {
            dot += mean[size_t(t)] * projected[size_t(t)];
            nm += mean[size_t(t)] * mean[size_t(t)];
            np += projected[size_t(t)] * projected[size_t(t)];
        }
        QVERIFY2(dot / std::sqrt(nm * np) > 0.99999, std::to_string(dot / std::sqrt(nm * np)).c_str());

        QVERIFY(!engine->embed({}).ok());
        QVERIFY(!engine->embed({a, {}}).ok());
        QVERIFY(!engine->embed({{1, 100000}}).ok());
        QVERIFY(!engine->embed({std::vector<int32_t>(size_t(engine->info().contextLength) + 1, 1)}).ok());
    }

    void constrainedGeneration_data()
    {
        QTest::addColumn<float>("temperature");
        QTest::addColumn<int>("seeds");
        QTest::newRow("greedy") << 0.0f << 1;
        QTest::newRow("sampled") << 1.0f << 12;
        QTest::newRow("sampled, top-k and top-p") << 0.9f << 12;
    }
    void constrainedGeneration()
    {
        QFETCH(float, temperature);
        QFETCH(int, seeds);
        const auto prompt = engine->tokenizer().encode("Once upon a time", true);
        const std::string schema = R"({"type": "object", "properties": {"ok": {"type": "boolean"},
            "n": {"type": "integer"}, "name": {"type": "string", "maxLength": 10},
            "color": {"enum": ["red", "green", "light blue"]}}, "required": ["ok", "n", "name", "color"]})";
        auto gbnf = grammarFromJsonSchema(schema);
        QVERIFY2(gbnf.ok(), gbnf.ok() ? "" : gbnf.error().c_str());
        GenerationParams g;
        g.maxTokens = 300;
        g.grammar = gbnf.value();
        g.temperature = temperature;
        if (QTest::currentDataTag() == QLatin1String("sampled, top-k and top-p")) {
            g.topK = 40;
            g.topP = 0.9f;
        }
        for (int seed = 0; seed < seeds; ++seed) {
            g.seed = uint64_t(seed);
            std::string streamed;
            auto r = engine->generate(prompt, g, [&](int32_t, const std::string &piece) {
                streamed += piece;
                return true;
            });
            QVERIFY(r.ok());
            QCOMPARE(int(r->finish), int(FinishReason::Stop)); // ended by the grammar, not the budget
            QCOMPARE(streamed, r->text);
            json doc;
            try {
                doc = json::parse(r->text);
            } catch (const json::exception &e) {
                QFAIL(qPrintable(QString::fromStdString(r->text + ": " + e.what())));
            }
            QVERIFY2(doc["ok"].is_boolean() && doc["n"].is_number_integer() && doc["name"].is_string(),
                     r->text.c_str());
            QVERIFY(doc["name"].get<std::string>().size() <= 10 * 4);
            const std::string color = doc["color"].get<std::string>();
            QVERIFY(color == "red" || color == "green" || color == "light blue");
        }
    }

    void grammarOutputs()
    {
        const auto prompt = engine->tokenizer().encode("Once upon a time", true);
        GenerationParams g;
        g.maxTokens = 40;
        g.grammar = R"(root ::= "yes" | "no")";
        auto r = engine->generate(prompt, g);
        QVERIFY(r.ok());
        QVERIFY2(r->text == "yes" || r->text == "no", r->text.c_str());
        QCOMPARE(int(r->finish), int(FinishReason::Stop));

        // A grammar that allows every text leaves the draws as they were, greedy and seeded: a draw is only repeated
        // when the grammar refuses it.
        for (const float t : {0.0f, 0.8f}) {
            GenerationParams free;
            free.maxTokens = 60;
            free.temperature = t;
            free.seed = 42;
            GenerationParams any = free;
            any.grammar = "root ::= .*";
            QCOMPARE(engine->generate(prompt, any)->ids, engine->generate(prompt, free)->ids);
        }
        // Lower-case letters and spaces only: the story goes on within them.
        GenerationParams lower;
        lower.maxTokens = 30;
        lower.grammar = "root ::= [a-z ]+";
        r = engine->generate(prompt, lower);
        QVERIFY(r.ok());
        QVERIFY(!r->text.empty());
        QVERIFY2(r->text.find_first_not_of("abcdefghijklmnopqrstuvwxyz ") == std::string::npos, r->text.c_str());

        GenerationParams bad;
        bad.grammar = "root ::= (";
        std::vector<Engine::StepEvent> events;
        auto begun = engine->begin(prompt, bad, events);
        QVERIFY(!begun);
        QCOMPARE(int(begun.code()), int(smartbot::ErrorCode::InvalidArgument));
        QVERIFY2(QString::fromStdString(begun.error()).contains("grammar: line 1"), begun.error().c_str());
    }

    void batchedEqualsAlone()
    {
        // Sequences of different lengths join and leave the batch at different steps; each must produce
        // exactly what it produces alone (greedy and seeded sampling alike).
        const std::vector<std::string> prompts{"Once upon a time", "Tom and his dog", "The sun was", "Lily",
                                               "One day, a big"};
        std::vector<GenerationParams> params;
        for (size_t i = 0; i < prompts.size(); ++i) {
            GenerationParams p;
            p.maxTokens = 20 + int(i) * 17;
            if (i % 2) {
                p.temperature = 0.8f;
                p.topP = 0.95f;
                p.seed = 100 + i;
            }
            if (i == 3)
                p.stop = {"."};
            if (i == 2) // constrained and unconstrained sequences share a batch
                p.grammar = jsonGrammar(/*objectOnly=*/true);
            params.push_back(p);
        }
        std::vector<GenerationResult> alone;
        for (size_t i = 0; i < prompts.size(); ++i)
            alone.push_back(engine->generate(engine->tokenizer().encode(prompts[i], true), params[i]).value());

        engine->clearPrefixCache(); // batched runs prefill their whole prompts, as the lone runs did
        std::vector<Engine::StepEvent> events;
        std::map<Engine::SequenceId, size_t> which;
        std::map<size_t, std::string> streamed;
        std::map<size_t, GenerationResult> batched;
        size_t admitted = 0;
        int steps = 0;
        while (batched.size() < prompts.size()) {
            // Admit one new sequence every few steps, while others are mid-generation.
            if (admitted < prompts.size() && steps % 3 == 0) {
                auto id = engine->begin(engine->tokenizer().encode(prompts[admitted], true), params[admitted], events);
                QVERIFY(id.ok());
                which[id.value()] = admitted++;
            }
            for (auto &e : events) {
                streamed[which.at(e.id)] += e.piece;
                if (e.finished)
                    batched[which.at(e.id)] = e.result;
            }
            events.clear();
            QVERIFY(engine->activeSequences() <= prompts.size());
            engine->step(events);
            QVERIFY(++steps < 1000);
        }
        QCOMPARE(engine->activeSequences(), size_t(0));
        for (size_t i = 0; i < prompts.size(); ++i) {
            QCOMPARE(batched[i].ids, alone[i].ids);
            QCOMPARE(batched[i].text, alone[i].text);
            QCOMPARE(streamed[i], alone[i].text);
            QCOMPARE(batched[i].finish, alone[i].finish);
        }
    }

    void cancelInBatch()
    {
        std::vector<Engine::StepEvent> events;
        GenerationParams p;
        p.maxTokens = 100;
        auto a = engine->begin(engine->tokenizer().encode("Once upon a time", true), p, events).value();
        auto b = engine->begin(engine->tokenizer().encode("The sun was", true), p, events).value();
        for (int i = 0; i < 5; ++i)
            engine->step(events);
        engine->cancel(a);
        events.clear();
        engine->step(events);
        bool aFinished = false, bAdvanced = false;
        for (const auto &e : events) {
            if (e.id == a && e.finished) {
                aFinished = true;
                QCOMPARE(e.result.finish, FinishReason::Stop);
                // One token a step: the prompts ran in the first step's pass (fused CPU path), not in begin().
                QCOMPARE(e.result.ids.size(), size_t(5));
            }
            if (e.id == b && !e.finished)
                bAdvanced = true;
        }
        QVERIFY(aFinished);
        QVERIFY(bAdvanced);
        QCOMPARE(engine->activeSequences(), size_t(1));
        engine->cancel(b);
        events.clear();
        engine->step(events);
        QCOMPARE(engine->activeSequences(), size_t(0));
    }

    void prefixCacheReuse()
    {
        // A conversation's second turn starts with the first turn's prompt and reply: their keys and values come
        // from the prefix cache, and the reply equals that of an engine without a prefix cache. (Reused keys and
        // values were computed by a different split of the work - decode steps, another prefill - so they may
        // differ from a cold prefill's in the last bits; greedy replies agree on this model, as they must to be
        // useful, but a near-tie elsewhere could in principle differ.)
        LoadOptions off;
        off.prefixCache = false;
        auto plain = Engine::load(kModelDir, off);
        QVERIFY(plain.ok());
        engine->clearPrefixCache();
        const KvMemoryStats before = engine->kvMemory();
        const Tokenizer &tok = engine->tokenizer();
        const std::vector<int32_t> turn1 = tok.encode("Once upon a time, there was a little girl named Lily.", true);
        GenerationParams p;
        p.maxTokens = 12;
        auto first = engine->generate(turn1, p);
        QVERIFY(first.ok());
        QCOMPARE(first->cachedPromptTokens, int64_t(0));
        QCOMPARE(first->ids, plain.value()->generate(turn1, p)->ids);

        std::vector<int32_t> turn2 = turn1;
        turn2.insert(turn2.end(), first->ids.begin(), first->ids.end());
        const auto more = tok.encode(" She liked to play with her ball.", false);
        turn2.insert(turn2.end(), more.begin(), more.end());
        p.maxTokens = 40;
        auto second = engine->generate(turn2, p);
        QVERIFY(second.ok());
        // All that the first sequence fed: its prompt and every reply token but the last (sampled, never fed).
        QCOMPARE(second->cachedPromptTokens, int64_t(turn1.size() + first->ids.size() - 1));
        auto reference = plain.value()->generate(turn2, p);
        QCOMPARE(reference->cachedPromptTokens, int64_t(0));
        QCOMPARE(second->ids, reference->ids);
        QCOMPARE(second->text, reference->text);

        // A shared "system prompt" with different questions: each later request reuses the shared part.
        const std::vector<int32_t> system = tok.encode("Tom had a red ball. He loved his ball very much.", true);
        for (const char *question : {" One day,", " The sun was hot.", " Tom saw a cat"}) {
            std::vector<int32_t> prompt = system;
            const auto q = tok.encode(question, false);
            prompt.insert(prompt.end(), q.begin(), q.end());
            auto r = engine->generate(prompt, p);
            QVERIFY(r.ok());
            QCOMPARE(r->ids, plain.value()->generate(prompt, p)->ids);
            if (std::string(question) != " One day,")
                QVERIFY2(r->cachedPromptTokens >= int64_t(system.size()),
                         std::to_string(r->cachedPromptTokens).c_str());
        }
        const KvMemoryStats after = engine->kvMemory();
        QCOMPARE(after.prefixLookups - before.prefixLookups, uint64_t(5));
        QCOMPARE(after.prefixHits - before.prefixHits, uint64_t(3));
        QVERIFY(after.prefixEntries >= 1);
        QVERIFY(after.prefixBytes > 0);
        QCOMPARE(after.sequenceBytes, int64_t(0));
        QCOMPARE(plain.value()->kvMemory().prefixBytes, int64_t(0));
    }

    void kvMemoryBudget()
    {
        // A budget of 100 positions: sequences reserve prompt + max_tokens when they begin; what does not fit now
        // waits (Later), what can never fit is refused (Never); the prefix cache only uses what is left over.
        const int64_t perToken = engine->kvMemory().bytesPerToken;
        QCOMPARE(perToken, int64_t(2 * 5 * 4 * 8 * 4)); // K and V x 5 layers x 4 KV heads x head_dim 8 x fp32
        LoadOptions o;
        o.kvCacheBytes = 100 * perToken;
        auto small = Engine::load(kModelDir, o);
        QVERIFY(small.ok());
        Engine &e = *small.value();
        const auto prompt = e.tokenizer().encode("Once upon a time", true); // 5 tokens
        GenerationParams p;
        p.maxTokens = 46; // the prompt plus 45 fed-back tokens: the 46th is sampled, never fed
        QCOMPARE(e.kvBytesNeeded(prompt.size(), p), int64_t(50) * perToken);
        QCOMPARE(e.admission(prompt.size(), p), Engine::Admission::Now);
        std::vector<Engine::StepEvent> events;
        auto a = e.begin(prompt, p, events);
        QVERIFY(a.ok());
        QCOMPARE(e.kvMemory().sequenceBytes, int64_t(50) * perToken);
        p.maxTokens = 47;
        QCOMPARE(e.admission(prompt.size(), p), Engine::Admission::Later);
        auto refused = e.begin(prompt, p, events);
        QVERIFY(!refused.ok());
        QVERIFY2(QString::fromStdString(refused.error()).contains("KV cache"), refused.error().c_str());
        p.maxTokens = 96;
        QCOMPARE(e.admission(prompt.size(), p), Engine::Admission::Later); // 100 positions: alone it would fit
        p.maxTokens = 97;
        QCOMPARE(e.admission(prompt.size(), p), Engine::Admission::Never);
        p.maxTokens = 46;
        auto b = e.begin(prompt, p, events);
        QVERIFY(b.ok());
        QCOMPARE(e.admission(prompt.size(), p), Engine::Admission::Later);
        while (e.activeSequences() > 0) {
            e.step(events);
            const KvMemoryStats s = e.kvMemory();
            QVERIFY(s.sequenceBytes + s.prefixBytes <= s.budgetBytes);
        }
        QCOMPARE(e.kvMemory().sequenceBytes, int64_t(0));
        QVERIFY(e.kvMemory().prefixBytes > 0);
        QCOMPARE(e.admission(prompt.size(), p), Engine::Admission::Now);
        // Many different prompts: the cache evicts to stay inside the budget, and keeps serving.
        for (const char *text : {"Tom and his dog", "The sun was", "Lily", "One day, a big", "A cat sat on"}) {
            auto r = e.generate(e.tokenizer().encode(text, true), p);
            QVERIFY(r.ok());
            const KvMemoryStats s = e.kvMemory();
            QVERIFY(s.sequenceBytes + s.prefixBytes <= s.budgetBytes);
        }
    }

    void badGenerationInput()
    {
        QVERIFY(!engine->generate({}, {}).ok());
        QVERIFY(!engine->generate({1, 9999}, {}).ok());
        QVERIFY(!engine->generate(std::vector<int32_t>(600, 5), {}).ok());
    }

    void configValidation_data()
    {
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("field");
        QTest::newRow("architecture") << R"({"architectures":["GPT2LMHeadModel"]})"
                                      << "architectures";
        QTest::newRow("missing hidden") << R"({"hidden_size":null})"
                                        << "hidden_size";
        QTest::newRow("kv heads") << R"({"num_key_value_heads":3})"
                                  << "num_key_value_heads";
        QTest::newRow("negative layers") << R"({"num_hidden_layers":-1})"
                                         << "num_hidden_layers";
        QTest::newRow("eps type") << R"({"rms_norm_eps":"x"})"
                                  << "rms_norm_eps";
        QTest::newRow("rope scaling") << R"({"rope_scaling":{"type":"yarn"}})"
                                      << "rope_scaling";
        QTest::newRow("eos range") << R"({"eos_token_id":5000})"
                                   << "eos_token_id";
    }
    void configValidation()
    {
        QFETCH(QString, patch);
        QFETCH(QString, field);
        json base = json::parse(R"({"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":172,
            "num_hidden_layers":5,"num_attention_heads":8,"num_key_value_heads":4,"vocab_size":512,
            "max_position_embeddings":512,"rms_norm_eps":1e-5})");
        QVERIFY(ModelConfig::parse(base.dump()).ok());
        base.merge_patch(json::parse(patch.toStdString()));
        if (patch.contains("null"))
            base.erase("hidden_size");
        auto r = ModelConfig::parse(base.dump());
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.error()).contains(field), r.error().c_str());
    }

    void safetensorsMalformed()
    {
        const json ok = {{"a", {{"dtype", "F32"}, {"shape", {2, 2}}, {"data_offsets", {0, 16}}}},
                         {"__metadata__", {{"format", "pt"}}}};
        QVERIFY(SafetensorsFile::fromMemory(image(ok, 16)).ok());

        auto expectError = [](std::vector<uint8_t> bytes, const char *needle) {
            auto r = SafetensorsFile::fromMemory(std::move(bytes));
            QVERIFY2(!r.ok(), needle);
            QVERIFY2(QString::fromStdString(r.error()).contains(needle), r.error().c_str());
        };
        expectError({1, 2, 3}, "truncated");
        expectError(image(ok, 16, 1 << 30), "longer than the file");
        expectError(image(ok, 8), "out of range");
        json overlap = ok;
        overlap["b"] = {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {8, 16}}};
        expectError(image(overlap, 16), "overlap");
        json badType = ok;
        badType["a"]["dtype"] = "I64";
        expectError(image(badType, 16), "unsupported dtype I64");
        json badSize = ok;
        badSize["a"]["shape"] = {3, 2};
        expectError(image(badSize, 24), "does not match shape");
        json neg = ok;
        neg["a"]["data_offsets"] = {16, 0};
        expectError(image(neg, 16), "end before begin");
        std::vector<uint8_t> garbage = image(ok, 16);
        garbage[8] = 'x'; // the header's opening brace
        expectError(garbage, "not valid JSON");
    }

    void modelFolderErrors()
    {
        QTemporaryDir dir;
        const std::string d = dir.path().toStdString();
        QVERIFY(!Engine::load(d + "/nope").ok());
        QVERIFY(QFile::copy(QString::fromStdString(kModelDir + "/config.json"), dir.filePath("config.json")));
        auto r = Engine::load(d);
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.error()).contains("model.safetensors"), r.error().c_str());
        // Truncated weights: a clear error, never a crash.
        QFile src(QString::fromStdString(kModelDir + "/model.safetensors"));
        QVERIFY(src.open(QIODevice::ReadOnly));
        QFile dst(dir.filePath("model.safetensors"));
        QVERIFY(dst.open(QIODevice::WriteOnly));
        dst.write(src.read(src.size() / 2));
        dst.close();
        for (const char *f : {"tokenizer.json", "tokenizer_config.json"})
            QVERIFY(QFile::copy(QString::fromStdString(kModelDir + "/" + f), dir.filePath(f)));
        r = Engine::load(d);
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.error()).contains("out of range"), r.error().c_str());
    }
};

QTEST_APPLESS_MAIN(TestEngine)
#include "test_engine.moc"
