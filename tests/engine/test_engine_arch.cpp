// Architectures and weight formats on random-weight models, against an independent float64 forward pass:
// Llama (GQA, untied, head_dim != hidden/heads), Qwen2 (q/k/v bias), Mistral (sliding window), rope_scaling
// linear and llama3, F16/BF16 weights, sharded safetensors, generation_config EOS lists, and refusals.
#include <QtTest>

#include <filesystem>
#include <fstream>

#include "random_model.h"
#include "smartbot/engine/engine.h"

using namespace smartbot::engine;
using namespace smartbot::testsupport;
using json = nlohmann::json;

namespace {
const std::string kTokenizerDir = std::string(SMARTBOT_SHARED_DIR) + "/models/stories260K";

RandomModelSpec spec()
{
    RandomModelSpec s;
    s.tokenizerDir = kTokenizerDir;
    return s;
}

const std::vector<int32_t> kIds{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315};

// Max abs difference between engine logits (both paths) and the float64 reference, relative to the logit scale.
double compare(const std::string &dir, const RandomModel &m)
{
    auto e = Engine::load(dir);
    if (!e)
        qFatal("load failed: %s", e.error().c_str());
    const auto ref = referenceLogits(m, kIds);
    double worst = 0, scale = 0;
    for (const auto &row : ref)
        for (double v : row)
            scale = std::max(scale, std::abs(v));
    for (bool incremental : {false, true}) {
        auto got = e.value()->logits(kIds, incremental);
        if (!got)
            qFatal("logits failed: %s", got.error().c_str());
        for (size_t t = 0; t < ref.size(); ++t)
            for (size_t i = 0; i < ref[t].size(); ++i)
                worst = std::max(worst, std::abs(double((*got)[t][i]) - ref[t][i]));
    }
    return worst / std::max(1.0, scale);
}
} // namespace

class TestEngineArch : public QObject {
    Q_OBJECT
    QTemporaryDir tmp;

    std::string path(const char *name) const { return tmp.filePath(name).toStdString(); }

private Q_SLOTS:
    void initTestCase()
    {
        if (!std::filesystem::exists(kTokenizerDir + "/tokenizer.json"))
            QSKIP("../shared/models/stories260K (its tokenizer) is absent");
    }

    void matchesReference_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QString>("dtype");
        QTest::addColumn<QString>("rope");
        QTest::addColumn<int>("headDim");
        QTest::addColumn<bool>("tie");
        QTest::addColumn<double>("tolerance");
        QTest::newRow("llama gqa f32") << "LlamaForCausalLM" << "F32" << "" << 0 << false << 1e-5;
        QTest::newRow("llama head_dim 32") << "LlamaForCausalLM" << "F32" << "" << 32 << true << 1e-5;
        QTest::newRow("qwen2 bias bf16") << "Qwen2ForCausalLM" << "BF16" << "" << 0 << true << 1e-5;
        QTest::newRow("mistral f16") << "MistralForCausalLM" << "F16" << "" << 0 << false << 1e-5;
        QTest::newRow("rope linear") << "LlamaForCausalLM" << "F32" << "linear" << 0 << false << 1e-5;
        QTest::newRow("rope llama3") << "LlamaForCausalLM" << "F32" << "llama3" << 0 << false << 1e-5;
    }
    void matchesReference()
    {
        QFETCH(QString, arch);
        QFETCH(QString, dtype);
        QFETCH(QString, rope);
        QFETCH(int, headDim);
        QFETCH(bool, tie);
        QFETCH(double, tolerance);
        RandomModelSpec s = spec();
        s.architecture = arch.toStdString();
        s.dtype = dtype.toStdString();
        s.headDim = headDim;
        s.tie = tie;
        s.ropeTheta = 500000.0;
        if (rope == "linear")
            s.ropeScaling = {{"type", "linear"}, {"factor", 4.0}};
        if (rope == "llama3")
            s.ropeScaling = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                             {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 64}};
        const std::string dir = path(QTest::currentDataTag());
        const RandomModel m = writeRandomModel(dir, s);
        const double err = compare(dir, m);
        qInfo("%s: relative max abs logit error %.2g", QTest::currentDataTag(), err);
        QVERIFY2(err < tolerance, qPrintable(QString::number(err)));
    }

    void shardedEqualsSingleFile()
    {
        RandomModelSpec s = spec();
        s.seed = 7;
        const RandomModel single = writeRandomModel(path("single"), s);
        s.shards = 3;
        writeRandomModel(path("sharded"), s);
        QVERIFY(std::filesystem::exists(path("sharded") + "/model.safetensors.index.json"));
        QVERIFY(!std::filesystem::exists(path("sharded") + "/model.safetensors"));
        auto a = Engine::load(path("single")), b = Engine::load(path("sharded"));
        QVERIFY2(b.ok(), b.ok() ? "" : b.error().c_str());
        QCOMPARE(b.value()->logits(kIds).value(), a.value()->logits(kIds).value());
        QCOMPARE(b.value()->info().parameters, a.value()->info().parameters);

        // An index that promises a tensor its shard lacks is refused, naming the tensor.
        std::ifstream in(path("sharded") + "/model.safetensors.index.json");
        json index = json::parse(in);
        index["weight_map"]["model.layers.9.mlp.up_proj.weight"] = "model-00001-of-00003.safetensors";
        std::ofstream(path("sharded") + "/model.safetensors.index.json") << index.dump();
        auto bad = Engine::load(path("sharded"));
        QVERIFY(!bad.ok());
        QVERIFY2(QString::fromStdString(bad.error()).contains("model.layers.9.mlp.up_proj.weight"), bad.error().c_str());
    }

    void slidingWindowCapsContext()
    {
        RandomModelSpec s = spec();
        s.architecture = "MistralForCausalLM";
        s.extraConfig = {{"sliding_window", 96}};
        writeRandomModel(path("window"), s);
        auto e = Engine::load(path("window"));
        QVERIFY(e.ok());
        QCOMPARE(e.value()->info().contextLength, 96);
        QVERIFY(!e.value()->generate(std::vector<int32_t>(100, 5), {}).ok());
    }

    void generationConfigEosList()
    {
        RandomModelSpec s = spec();
        s.seed = 11;
        writeRandomModel(path("eos"), s);
        auto e = Engine::load(path("eos"));
        GenerationParams g;
        g.maxTokens = 5;
        const auto first = e.value()->generate(kIds, g)->ids.at(0);
        // Declare that token an end-of-turn id: generation now stops before emitting it.
        std::ofstream(path("eos") + "/generation_config.json") << json{{"eos_token_id", {2, first}}}.dump();
        auto again = Engine::load(path("eos"));
        auto r = again.value()->generate(kIds, g);
        QVERIFY(r.ok());
        QVERIFY(r->ids.empty());
        QCOMPARE(r->finish, FinishReason::Stop);
    }

    void chatTemplateDrivesEncodeChat()
    {
        RandomModelSpec s = spec();
        const std::string dir = path("templated");
        writeRandomModel(dir, s);
        std::ifstream in(dir + "/tokenizer_config.json");
        json cfg = json::parse(in);
        in.close();
        cfg["chat_template"] = "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('no system "
                               "role here') }}{% endif %}{{ bos_token + '[' + m['role'] + '] ' + m['content'] + '\\n' }}"
                               "{% endfor %}{% if add_generation_prompt %}{{ '[assistant] ' }}{% endif %}";
        std::filesystem::permissions(dir + "/tokenizer_config.json", std::filesystem::perms::owner_write,
                                     std::filesystem::perm_options::add);
        std::ofstream(dir + "/tokenizer_config.json") << cfg.dump();
        auto e = Engine::load(dir);
        QVERIFY2(e.ok(), e.ok() ? "" : e.error().c_str());
        QVERIFY(e.value()->hasChatTemplate());
        auto ids = e.value()->encodeChat({{"user", "Hi there"}, {"assistant", "Hello"}, {"user", "Bye"}});
        QVERIFY(ids.ok());
        QCOMPARE(ids.value(), e.value()->tokenizer().encode("<s>[user] Hi there\n<s>[assistant] Hello\n<s>[user] Bye\n[assistant] ", false));
        auto refused = e.value()->encodeChat({{"system", "x"}, {"user", "y"}});
        QVERIFY(!refused.ok());
        QVERIFY2(QString::fromStdString(refused.error()).contains("no system role here"), refused.error().c_str());
        // Without a template: the plain fallback (BOS, then the contents separated by blank lines).
        auto plain = Engine::load(path("single"));
        QVERIFY(!plain.value()->hasChatTemplate());
        QCOMPARE(plain.value()->encodeChat({{"user", "Once upon a time"}}).value(),
                 plain.value()->tokenizer().encode("Once upon a time", true));
    }

    void refusesWhatItCannotRun_data()
    {
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("needle");
        QTest::newRow("yarn") << R"({"rope_scaling":{"rope_type":"yarn","factor":4}})" << "yarn";
        QTest::newRow("phi3") << R"({"architectures":["Phi3ForCausalLM"]})" << "Phi3ForCausalLM";
        QTest::newRow("llama3 incomplete") << R"({"rope_scaling":{"rope_type":"llama3","factor":8}})" << "rope_scaling";
        QTest::newRow("mlp bias") << R"({"mlp_bias":true})" << "mlp_bias";
    }
    void refusesWhatItCannotRun()
    {
        QFETCH(QString, patch);
        QFETCH(QString, needle);
        RandomModelSpec s = spec();
        s.extraConfig = json::parse(patch.toStdString());
        const std::string dir = path(QTest::currentDataTag());
        writeRandomModel(dir, s);
        auto e = Engine::load(dir);
        QVERIFY(!e.ok());
        QVERIFY2(QString::fromStdString(e.error()).contains(needle), e.error().c_str());
    }
};

QTEST_APPLESS_MAIN(TestEngineArch)
#include "test_engine_arch.moc"
