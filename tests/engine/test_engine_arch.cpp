// Architectures and weight formats on random-weight models, against an independent float64 forward pass:
// Llama (GQA, untied, head_dim != hidden/heads), Qwen2 (q/k/v bias), Mistral (sliding window), rope_scaling
// linear and llama3, F16/BF16 weights, sharded safetensors, generation_config EOS lists, and refusals.
#include <QtTest>

#include "require_data.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <limits>
#include <random>
#include <tuple>

// Engine-private but Qt- and torch-free: the decode step's matrix kernels, whose batch-independence is tested here.
#include "kernels/attention_scores.h"
#include "kernels/cpu_features.h"
#include "kernels/matmul.h"
#include "kernels/exp_kernels.h"
#include "model/llama_attention.h"
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

// Sizes that are no multiple of the kernels' tiles or vector width: hidden 72, intermediate 101, head_dim 18.
RandomModelSpec oddSpec(const std::string &dtype)
{
    RandomModelSpec s = spec();
    s.hidden = 72;
    s.intermediate = 101;
    s.heads = 4;
    s.kvHeads = 2;
    s.seed = 3;
    s.dtype = dtype;
    return s;
}

const std::vector<int32_t> kIds{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315};

// Max abs difference between engine logits (both paths: the prompt in one pass, and stepped) and the float64
// reference, relative to the logit scale.
double compare(const std::string &dir, const RandomModel &m, const LoadOptions &options = {})
{
    auto e = Engine::load(dir, options);
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

// The rows of the e^x kernels' tests: values drawn uniformly from [-spread, spread], from narrow to past e^x's
// range, then zeros and ties, then a NaN among them.
void addExpKernelRows()
{
    QTest::addColumn<double>("spread");
    QTest::addColumn<QString>("special");
    QTest::newRow("narrow") << 0.5 << "";
    QTest::newRow("wide") << 30.0 << "";
    QTest::newRow("past the range") << 150.0 << "";
    QTest::newRow("zeros") << 4.0 << "zeros";
    QTest::newRow("nan") << 4.0 << "nan";
}
// The current row of addExpKernelRows(), with a generator of values seeded from it.
struct ExpKernelRow {
    double spread;
    QString special;
    std::mt19937 rng;
    std::uniform_real_distribution<float> uniform;
    float draw() { return uniform(rng); }
};
ExpKernelRow fetchExpKernelRow()
{
    QFETCH(double, spread);
    QFETCH(QString, special);
    return {spread, special, std::mt19937{uint32_t(spread * 10) + uint32_t(special.size())},
            std::uniform_real_distribution<float>(float(-spread), float(spread))};
}
// The portable kernel, and the AVX2 one where this CPU has it.
template <typename Fn> std::vector<std::pair<const char *, Fn>> portableAndAvx2(Fn portable, Fn avx2)
{
    std::vector<std::pair<const char *, Fn>> impls{{"portable", portable}};
#if defined(__x86_64__)
    if (smartbot::engine::kernels::cpuHasAvx2Fma())
        impls.emplace_back("avx2", avx2);
#endif
    qInfo("kernels compared: %zu", impls.size());
    return impls;
}

} // namespace

class TestEngineArch : public QObject {
    Q_OBJECT
    QTemporaryDir tmp;

    std::string path(const char *name) const { return tmp.filePath(name).toStdString(); }

    // Greedy ids of sequences of different prompt lengths run together, batches of each size in Bs, equal
    // those of each sequence run alone.
    void batchedEqualsAlone(Engine &engine, std::initializer_list<size_t> Bs)
    {
        std::vector<std::vector<int32_t>> prompts;
        for (size_t i = 0; i < 9; ++i)
            prompts.emplace_back(kIds.begin(), kIds.begin() + 1 + long(i * 5 % kIds.size()));
        GenerationParams g;
        g.maxTokens = 24;
        std::vector<std::vector<int32_t>> alone;
        for (const auto &p : prompts) {
            alone.push_back(engine.generate(p, g).value().ids);
            QVERIFY(!alone.back().empty());
        }
        for (size_t B : Bs) {
            std::vector<Engine::StepEvent> events;
            std::map<Engine::SequenceId, size_t> which;
            for (size_t i = 0; i < B; ++i)
                which[engine.begin(prompts[i], g, events).value()] = i;
            std::map<size_t, std::vector<int32_t>> batched;
            for (const auto &ev : events)
                if (ev.finished)
                    batched[which.at(ev.id)] = ev.result.ids;
            while (engine.activeSequences() > 0) {
                events.clear();
                engine.step(events);
                for (const auto &ev : events)
                    if (ev.finished)
                        batched[which.at(ev.id)] = ev.result.ids;
            }
            for (size_t i = 0; i < B; ++i)
                QVERIFY2(batched.at(i) == alone[i], qPrintable(QString("B %1, sequence %2").arg(B).arg(i)));
        }
    }

    // One kernel fn over weights w (values wf as floats) against the float64 product with the activations the
    // kernel multiplies (xf: x itself, or x rounded to bfloat16), then bitwise against itself across batch sizes,
    // batch offsets, row splits and accumulation (see matmulKernelsIndependentOfBatch).
    template <typename WT, typename Fn>
    void checkKernel(const std::string &name, Fn fn, const WT *w, const std::vector<float> &wf, int64_t cols,
                     int64_t rows, int64_t maxB, const std::vector<float> &x, const std::vector<float> &xf,
                     const std::vector<float> &bias)
    {
        const int64_t xStride = cols + 3, yStride = rows + 2;
        const QByteArray what = QByteArray::fromStdString(name + " cols " + std::to_string(cols));
        std::vector<float> alone(size_t(maxB * yStride));
        for (int64_t b = 0; b < maxB; ++b)
            fn(w, cols, &x[size_t(b * xStride)], xStride, 1, &alone[size_t(b * yStride)], yStride, 0, rows, false);
        for (int64_t b = 0; b < maxB; ++b)
            for (int64_t r = 0; r < rows; ++r) {
                double ref = 0, mag = 0;
                for (int64_t i = 0; i < cols; ++i) {
                    ref += double(wf[size_t(r * cols + i)]) * double(xf[size_t(b * xStride + i)]);
                    mag += std::abs(double(wf[size_t(r * cols + i)]) * double(xf[size_t(b * xStride + i)]));
                }
                QVERIFY2(std::abs(alone[size_t(b * yStride + r)] - ref) <= 1e-5 * mag, what);
            }
        for (int64_t B = 1; B <= maxB; ++B)
            for (const int64_t first : {int64_t(0), maxB - B}) {
                // Whole rows in one call, and split at a row that is no tile boundary (as threads may).
                for (const int64_t split : {int64_t(0), int64_t(13)}) {
                    std::vector<float> y(size_t(B * yStride), -1.0f);
                    const float *xb = &x[size_t(first * xStride)];
                    fn(w, cols, xb, xStride, B, y.data(), yStride, 0, split, false);
                    fn(w, cols, xb, xStride, B, y.data(), yStride, split, rows, false);
                    for (int64_t b = 0; b < B; ++b)
                        QVERIFY2(!std::memcmp(&y[size_t(b * yStride)], &alone[size_t((first + b) * yStride)],
                                              size_t(rows) * sizeof(float)),
                                 what + " B " + QByteArray::number(qint64(B)));
                }
                // Accumulating adds the very same value to what is there.
                std::vector<float> y(bias.begin(), bias.begin() + B * yStride);
                fn(w, cols, &x[size_t(first * xStride)], xStride, B, y.data(), yStride, 0, rows, true);
                for (int64_t b = 0; b < B; ++b)
                    for (int64_t r = 0; r < rows; ++r) {
                        const float want = bias[size_t(b * yStride + r)] + alone[size_t((first + b) * yStride + r)];
                        QVERIFY2(!std::memcmp(&y[size_t(b * yStride + r)], &want, sizeof(float)), what);
                    }
            }
    }

private Q_SLOTS:
    void initTestCase() { REQUIRE_DATA(kTokenizerDir + "/tokenizer.json"); }

    void matchesReference_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QString>("dtype");
        QTest::addColumn<QString>("rope");
        QTest::addColumn<int>("headDim");
        QTest::addColumn<bool>("tie");
        QTest::addColumn<double>("tolerance");
        QTest::addColumn<QString>("compute"); // LoadOptions::dtype
        QTest::addColumn<bool>("fused");      // LoadOptions::fusedCpuDecode
        // Weights as stored, computed in float32: the reference within float32 rounding.
        QTest::newRow("llama gqa f32") << "LlamaForCausalLM"
                                       << "F32"
                                       << "" << 0 << false << 1e-5 << "float32" << true;
        QTest::newRow("llama head_dim 32") << "LlamaForCausalLM"
                                           << "F32"
                                           << "" << 32 << true << 1e-5 << "float32" << true;
        QTest::newRow("qwen2 bias bf16") << "Qwen2ForCausalLM"
                                         << "BF16"
                                         << "" << 0 << true << 1e-5 << "float32" << true;
        QTest::newRow("mistral f16") << "MistralForCausalLM"
                                     << "F16"
                                     << "" << 0 << false << 1e-5 << "float32" << true;
        QTest::newRow("rope linear") << "LlamaForCausalLM"
                                     << "F32"
                                     << "linear" << 0 << false << 1e-5 << "float32" << true;
        QTest::newRow("rope llama3") << "LlamaForCausalLM"
                                     << "F32"
                                     << "llama3" << 0 << false << 1e-5 << "float32" << true;
        // The libtorch-operator decode path (the one CUDA takes), on the CPU in float32.
        QTest::newRow("torch path f32") << "LlamaForCausalLM"
                                        << "F32"
                                        << "" << 0 << false << 1e-5 << "float32" << false;
        QTest::newRow("torch path qwen2") << "Qwen2ForCausalLM"
                                          << "F32"
                                          << "" << 0 << true << 1e-5 << "float32" << false;
        // bfloat16 compute (CUDA's dtype; the CPU's for bfloat16 weights with AVX512-BF16) in libtorch operators:
        // bfloat16 rounding of activations, about 8 significant bits, so the reference holds to a few parts in
        // a thousand (measured 3.4e-3).
        QTest::newRow("bf16 compute") << "Qwen2ForCausalLM"
                                      << "BF16"
                                      << "" << 0 << true << 2e-2 << "bfloat16" << false;
        // The fused CPU pass in bfloat16: bfloat16 weights, RoPE tables and KV cache, float32 activations rounded to
        // bfloat16 only as each matrix product's input (matmul.h); the prompt goes through it too (up to 64
        // positions). Measured: 1.0e-3 (4.3e-4 on decode rows alone when the products took float32 activations),
        // 3.4x better than bfloat16 compute.
        QTest::newRow("bf16 fused") << "Qwen2ForCausalLM"
                                    << "BF16"
                                    << "" << 0 << true << 2e-3 << "bfloat16" << true;
    }
    void matchesReference()
    {
        QFETCH(QString, arch);
        QFETCH(QString, dtype);
        QFETCH(QString, rope);
        QFETCH(int, headDim);
        QFETCH(bool, tie);
        QFETCH(double, tolerance);
        QFETCH(QString, compute);
        QFETCH(bool, fused);
        RandomModelSpec s = spec();
        s.architecture = arch.toStdString();
        s.dtype = dtype.toStdString();
        s.headDim = headDim;
        s.tie = tie;
        s.ropeTheta = 500000.0;
        if (rope == "linear")
            s.ropeScaling = {{"type", "linear"}, {"factor", 4.0}};
        if (rope == "llama3")
            s.ropeScaling = {{"rope_type", "llama3"},
                             {"factor", 8.0},
                             {"low_freq_factor", 1.0},
                             {"high_freq_factor", 4.0},
                             {"original_max_position_embeddings", 64}};
        const std::string dir = path(QTest::currentDataTag());
        const RandomModel m = writeRandomModel(dir, s);
        LoadOptions options;
        options.dtype = compute.toStdString();
        options.fusedCpuDecode = fused;
        const double err = compare(dir, m, options);
        qInfo("%s: relative max abs logit error %.2g", QTest::currentDataTag(), err);
        QVERIFY2(err < tolerance, qPrintable(QString::number(err)));
    }

    // The matmul kernels' contract: each output element is computed identically (bitwise) whatever the batch
    // size, wherever its sequence falls in a register tile and however the rows are split between threads, on
    // sizes that are no multiple of the tile (4 rows x 3 sequences) or of the vector width (8 or 16 floats).
    // For float32 weights and for bfloat16 ones (whose activations are rounded to bfloat16: exact products).
    void matmulKernelsIndependentOfBatch()
    {
        namespace k = smartbot::engine::kernels;
        std::vector<std::pair<std::string, k::MatmulRowsFn>> impls{{"portable", k::matmulRowsPortable}};
        std::vector<std::pair<std::string, k::MatmulRowsBf16Fn>> bf16Impls{
            {"bf16 portable", k::matmulRowsBf16Portable}};
#if defined(__x86_64__)
        if (kernels::cpuHasAvx2Fma()) {
            impls.emplace_back("avx2-fma", k::matmulRowsAvx2);
            bf16Impls.emplace_back("bf16 avx2-fma", k::matmulRowsBf16Avx2);
        }
        if (kernels::cpuHasAvx512F())
            impls.emplace_back("avx512f", k::matmulRowsAvx512);
        if (kernels::cpuHasAvx512Bf16())
            bf16Impls.emplace_back("bf16 avx512-bf16", k::matmulRowsBf16Avx512);
#endif
        qInfo("decode kernels in use: %s, bfloat16 %s", k::matmulKernelName(), k::matmulBf16KernelName());
        std::mt19937 rng(5);
        std::normal_distribution<float> normal;
        for (const int64_t cols : {1, 7, 8, 17, 32, 33, 64, 72, 100, 101}) {
            const int64_t rows = 37, maxB = 11;
            std::vector<float> w(size_t(rows * cols)), x(size_t(maxB * (cols + 3))), bias(size_t(maxB * (rows + 2)));
            for (float &v : w)
                v = normal(rng);
            for (float &v : x)
                v = normal(rng);
            for (float &v : bias)
                v = normal(rng);
            // bfloat16 weights: the upper halves of w, and the floats they stand for (for the reference); the
            // activations as the bfloat16 kernels round them.
            std::vector<uint16_t> wb(w.size());
            std::vector<float> wbf(w.size()), xbf(x.size());
            for (size_t i = 0; i < w.size(); ++i) {
                uint32_t u;
                std::memcpy(&u, &w[i], sizeof u);
                wb[i] = uint16_t(u >> 16);
                wbf[i] = k::bf16ToFloat(wb[i]);
            }
            for (size_t i = 0; i < x.size(); ++i)
                xbf[i] = k::bf16ToFloat(k::floatToBf16(x[i]));
            for (const auto &[name, fn] : impls)
                checkKernel(name, fn, w.data(), w, cols, rows, maxB, x, x, bias);
            for (const auto &[name, fn] : bf16Impls)
                checkKernel(name, fn, wb.data(), wbf, cols, rows, maxB, x, xbf, bias);
            if (QTest::currentTestFailed())
                return;
        }
    }

    // float to bfloat16: to nearest with ties to even, NaN kept (quiet), subnormals to a zero of their sign,
    // overflow to infinity.
    void floatToBf16Rounds_data()
    {
        QTest::addColumn<quint32>("in");
        QTest::addColumn<quint16>("want");
        QTest::newRow("one") << 0x3f800000u << quint16(0x3f80);
        QTest::newRow("below half") << 0x3f807fffu << quint16(0x3f80);
        QTest::newRow("tie to even, down") << 0x3f808000u << quint16(0x3f80);
        QTest::newRow("tie to even, up") << 0x3f818000u << quint16(0x3f82);
        QTest::newRow("above half") << 0x3f808001u << quint16(0x3f81);
        QTest::newRow("negative") << 0xc0490fdbu << quint16(0xc049);
        QTest::newRow("carry into exponent") << 0x3fffffffu << quint16(0x4000);
        QTest::newRow("largest float to inf") << 0x7f7fffffu << quint16(0x7f80);
        QTest::newRow("inf") << 0x7f800000u << quint16(0x7f80);
        QTest::newRow("-inf") << 0xff800000u << quint16(0xff80);
        QTest::newRow("nan, payload low") << 0x7f800001u << quint16(0x7fc0);
        QTest::newRow("-nan") << 0xffc00000u << quint16(0xffc0);
        QTest::newRow("smallest normal") << 0x00800000u << quint16(0x0080);
        QTest::newRow("subnormal") << 0x007fffffu << quint16(0x0000);
        QTest::newRow("-subnormal") << 0x80000001u << quint16(0x8000);
        QTest::newRow("-0") << 0x80000000u << quint16(0x8000);
    }
    void floatToBf16Rounds()
    {
        QFETCH(quint32, in);
        QFETCH(quint16, want);
        float f;
        std::memcpy(&f, &in, sizeof f);
        QCOMPARE(quint16(kernels::floatToBf16(f)), want);
    }

    // Every bfloat16 kernel this CPU can run gives the portable kernel's bits (matmul.h: VDPBF16PS's sums),
    // on row lengths around the 32-column chunk and the shapes of the seed model (172) and the benchmark (768),
    // with weights and activations over several orders of magnitude, an infinite weight and a NaN activation.
    void bf16KernelsSameBits_data()
    {
        QTest::addColumn<int>("cols");
        QTest::addColumn<bool>("specials");
        for (const int cols : {1, 15, 16, 31, 32, 33, 64, 100, 172, 768})
            QTest::addRow("cols %d", cols) << cols << false;
        QTest::newRow("cols 100, inf and nan") << 100 << true;
    }
    void bf16KernelsSameBits()
    {
        namespace k = smartbot::engine::kernels;
        QFETCH(int, cols);
        QFETCH(bool, specials);
        std::vector<std::pair<const char *, k::MatmulRowsBf16Fn>> impls;
#if defined(__x86_64__)
        if (kernels::cpuHasAvx2Fma())
            impls.emplace_back("avx2-fma", k::matmulRowsBf16Avx2);
        if (kernels::cpuHasAvx512Bf16())
            impls.emplace_back("avx512-bf16", k::matmulRowsBf16Avx512);
#endif
        if (impls.empty())
            QSKIP("no SIMD bfloat16 kernel on this CPU: only the portable one runs");
        std::mt19937 rng{uint32_t(cols)};
        std::normal_distribution<float> normal;
        std::uniform_real_distribution<float> exponent(-8.0f, 8.0f);
        const int64_t rows = 21, B = 7;
        std::vector<uint16_t> w(size_t(rows * cols));
        std::vector<float> x(size_t(B * cols));
        for (auto &v : w)
            v = k::floatToBf16(normal(rng) * std::exp2(exponent(rng)));
        for (auto &v : x)
            v = normal(rng) * std::exp2(exponent(rng));
        if (specials) {
            w[5] = 0x7f80;                           // +inf in row 0
            x[size_t(2 * cols + 7)] = std::nanf(""); // sequence 2
        }
        std::vector<float> want(size_t(B * rows)), got(want.size());
        k::matmulRowsBf16Portable(w.data(), cols, x.data(), cols, B, want.data(), rows, 0, rows, false);
        for (const auto &[name, fn] : impls) {
            std::fill(got.begin(), got.end(), -1.0f);
            fn(w.data(), cols, x.data(), cols, B, got.data(), rows, 0, rows, false);
            for (size_t i = 0; i < want.size(); ++i)
                QVERIFY2(!std::memcmp(&got[i], &want[i], sizeof(float)) || (std::isnan(got[i]) && std::isnan(want[i])),
                         qPrintable(QString("%1: sequence %2 row %3: %4 vs portable %5")
                                        .arg(name)
                                        .arg(i / size_t(rows))
                                        .arg(i % size_t(rows))
                                        .arg(double(got[i]), 0, 'g', 9)
                                        .arg(double(want[i]), 0, 'g', 9)));
        }
        if (specials) { // the infinite weight's row is infinite, the NaN activation's sequence NaN
            QVERIFY(std::isinf(want[0]) && std::isinf(want[size_t(rows)]));
            for (int64_t r = 0; r < rows; ++r)
                QVERIFY(std::isnan(want[size_t(2 * rows + r)]));
        }
    }

    // The AVX-512 float32 kernel gives the AVX2 kernel's bits (matmul_avx512.cpp), at batches below its 8-sequence
    // tile (where it hands over to the AVX2 kernel), at odd ones (a pair with a zero partner) and at 64, on row
    // lengths around the 8-column chunk and the seed (64, 172) and benchmark (768) shapes, with a negative zero weight,
    // an infinite weight and a NaN activation.
    void float32Avx512GivesAvx2Bits_data()
    {
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("B");
        QTest::addColumn<bool>("specials");
        for (const int cols : {1, 7, 8, 9, 15, 16, 17, 64, 100, 172, 768})
            for (const int B : {7, 8, 9, 13, 64})
                QTest::addRow("cols %d, B %d", cols, B) << cols << B << false;
        QTest::newRow("cols 100, B 9, inf and nan") << 100 << 9 << true;
    }
    void float32Avx512GivesAvx2Bits()
    {
        namespace k = smartbot::engine::kernels;
        QFETCH(int, cols);
        QFETCH(int, B);
        QFETCH(bool, specials);
#if defined(__x86_64__)
        if (!kernels::cpuHasAvx512F())
            QSKIP("no AVX-512 on this CPU");
#else
        QSKIP("not x86-64");
#endif
        std::mt19937 rng{uint32_t(cols * 100 + B)};
        std::normal_distribution<float> normal;
        std::uniform_real_distribution<float> exponent(-8.0f, 8.0f);
        const int64_t rows = 23, xStride = cols + 5;
        std::vector<float> w(size_t(rows * cols)), x(size_t(B * xStride));
        for (auto &v : w)
            v = normal(rng) * std::exp2(exponent(rng));
        for (auto &v : x)
            v = normal(rng) * std::exp2(exponent(rng));
        w[0] = -0.0f;
        if (specials) {
            w[size_t(cols + 3)] = std::numeric_limits<float>::infinity(); // row 1
            x[size_t(4 * xStride + 9)] = std::nanf("");                   // sequence 4
        }
        std::vector<float> want(size_t(B * rows)), got(want.size(), -1.0f);
        k::matmulRowsAvx2(w.data(), cols, x.data(), xStride, B, want.data(), rows, 0, rows, false);
        k::matmulRowsAvx512(w.data(), cols, x.data(), xStride, B, got.data(), rows, 0, rows, false);
        for (size_t i = 0; i < want.size(); ++i)
            QVERIFY2(!std::memcmp(&got[i], &want[i], sizeof(float)) || (std::isnan(got[i]) && std::isnan(want[i])),
                     qPrintable(QString("sequence %1 row %2: %3 vs avx2-fma %4")
                                    .arg(i / size_t(rows))
                                    .arg(i % size_t(rows))
                                    .arg(double(got[i]), 0, 'g', 9)
                                    .arg(double(want[i]), 0, 'g', 9)));
        if (specials) {
            QVERIFY(std::isinf(want[1]));
            QVERIFY(std::isnan(want[size_t(4 * rows)]));
        }
    }

    // A row's attention over 8-value heads runs four heads at a time (attendCached: every head's numerators, then
    // headValues4x8): each head's result has the bits of that head attended alone (attendHead), with head counts
    // that are and are not multiples of four, grouped-query heads sharing a cache row, and one to 64 positions; and
    // the portable and AVX2 value kernels agree bit for bit.
    void fourHeadAttentionSameBits_data()
    {
        QTest::addColumn<int>("H");
        QTest::addColumn<int>("KV");
        QTest::addColumn<int>("total");
        QTest::newRow("4 heads, 1 position") << 4 << 4 << 1;
        QTest::newRow("4 heads, 2 groups, 9 positions") << 4 << 2 << 9;
        QTest::newRow("seed shape: 8 heads, 4 groups, 37 positions") << 8 << 4 << 37;
        QTest::newRow("5 heads, 33 positions") << 5 << 5 << 33;
        QTest::newRow("12 heads, 3 groups, 64 positions") << 12 << 3 << 64;
    }
    void fourHeadAttentionSameBits()
    {
        namespace k = smartbot::engine::kernels;
        namespace e = smartbot::engine;
        QFETCH(int, H);
        QFETCH(int, KV);
        QFETCH(int, total);
        const int64_t hd = 8, capacity = total + 3, G = H / KV;
        std::mt19937 rng{uint32_t(H * 1000 + total)};
        std::normal_distribution<float> normal;
        std::vector<float> q(size_t(H * hd)), kc(size_t(KV * capacity * hd)), vc(kc.size());
        for (auto *v : {&q, &kc, &vc})
            for (float &x : *v)
                x = normal(rng) * 3.0f;
        std::vector<float> scores(size_t(H * total)), got(size_t(H * hd), -1.0f), want(got.size(), -2.0f);
        e::attendCached<e::AttnSum::Lanes8>(q.data(), kc.data(), vc.data(), capacity, total - 1, H, KV, hd,
                                            scores.data(), got.data());
        const float scale = float(1.0 / std::sqrt(double(hd)));
        for (int64_t i = 0; i < H; ++i)
            e::attention_detail::attendHead<e::AttnSum::Lanes8>(q.data() + i * hd, kc.data() + (i / G) * capacity * hd,
                                                                vc.data() + (i / G) * capacity * hd, total, hd, scale,
                                                                scores.data(), want.data() + i * hd);
        QVERIFY(!std::memcmp(got.data(), want.data(), got.size() * sizeof(float)));
        // The value kernels alone, on the numerators of heads 0-3 (their caches' rows as above).
        std::vector<float> numerators(size_t(4 * total));
        for (auto &x : numerators)
            x = std::abs(normal(rng));
        const float inv[4] = {0.5f, 0.25f, 1.0f / 3.0f, 0.1f};
        const float *values[4];
        for (int h = 0; h < 4; ++h)
            values[h] = vc.data() + ((h % H) / G) * capacity * hd;
        std::vector<float> portable(32), simd(32, -1.0f);
        k::headValues4x8Portable(numerators.data(), total, inv, values, total, portable.data());
#if defined(__x86_64__)
        if (k::cpuHasAvx2Fma()) {
            k::headValues4x8Avx2(numerators.data(), total, inv, values, total, simd.data());
            QVERIFY(!std::memcmp(portable.data(), simd.data(), 32 * sizeof(float)));
        }
#endif
    }

    // The attention-score kernels give dot8's bits (attention_scores.h): every head size around the 8-value blocks,
    // runs of positions that are and are not multiples of the AVX2 kernel's 8, and a zero and a negative zero key.
    void attentionScoresKernels_data()
    {
        QTest::addColumn<int>("hd");
        for (const int hd : {1, 7, 8, 9, 16, 18, 64, 100, 128})
            QTest::addRow("hd %d", hd) << hd;
    }
    void attentionScoresKernels()
    {
        namespace k = smartbot::engine::kernels;
        QFETCH(int, hd);
        std::mt19937 rng{uint32_t(hd)};
        std::normal_distribution<float> normal;
        const int64_t maxTotal = 37;
        std::vector<float> q(static_cast<size_t>(hd)), keys(static_cast<size_t>(maxTotal * hd));
        for (float &v : q)
            v = normal(rng);
        for (float &v : keys)
            v = normal(rng);
        keys[0] = 0.0f;
        keys[size_t(hd)] = -0.0f;
        const float scale = float(1.0 / std::sqrt(double(hd)));
        std::vector<std::pair<const char *, k::AttentionScoresFn>> impls{{"portable", k::attentionScoresPortable}};
#if defined(__x86_64__)
        if (k::cpuHasAvx2Fma())
            impls.emplace_back("avx2", k::attentionScoresAvx2);
#endif
        // A bfloat16 cache's keys, and the floats they stand for: its kernels give dot8's bits over those.
        std::vector<uint16_t> keysBf16(keys.size());
        std::vector<float> keysWidened(keys.size());
        for (size_t i = 0; i < keys.size(); ++i) {
            keysBf16[i] = k::floatToBf16(keys[i]);
            keysWidened[i] = k::bf16ToFloat(keysBf16[i]);
        }
        using Run = std::function<void(int64_t total, float *scores)>;
        std::vector<std::tuple<QString, Run, const float *>> runs;
        for (const auto &[name, fn] : impls)
            runs.emplace_back(name, Run([&, fn = fn](int64_t total, float *out) {
                                  fn(q.data(), keys.data(), total, hd, scale, out);
                              }),
                              keys.data());
        std::vector<std::pair<const char *, k::AttentionScoresBf16Fn>> bf16Impls{
            {"bf16 portable", k::attentionScoresBf16Portable}};
#if defined(__x86_64__)
        if (k::cpuHasAvx2Fma())
            bf16Impls.emplace_back("bf16 avx2", k::attentionScoresBf16Avx2);
#endif
        for (const auto &[name, fn] : bf16Impls)
            runs.emplace_back(name, Run([&, fn = fn](int64_t total, float *out) {
                                  fn(q.data(), keysBf16.data(), total, hd, scale, out);
                              }),
                              keysWidened.data());
        qInfo("attention-score kernels compared: %zu", runs.size());
        for (int64_t total = 1; total <= maxTotal; ++total)
            for (const auto &[name, run, floats] : runs) {
                std::vector<float> got(size_t(total), -1.0f);
                run(total, got.data());
                for (int64_t t = 0; t < total; ++t) {
                    const float want = k::dot8(q.data(), floats + t * hd, hd) * scale;
                    QVERIFY2(!std::memcmp(&got[size_t(t)], &want, sizeof want),
                             qPrintable(QString("%1 total %2 position %3: %4 against %5")
                                            .arg(name)
                                            .arg(total)
                                            .arg(t)
                                            .arg(got[size_t(t)], 0, 'g', 9)
                                            .arg(want, 0, 'g', 9)));
                }
            }
    }

    // The softmax-numerator kernels (exp_kernels.h): the portable and AVX2 ones give the same bits, for runs of 1 to
    // 37 scores (whole blocks of 8 and tails); every numerator is e^(score - max) within 2 float ulps of double
    // precision (0 below e^-87), and the sum within 1e-6 relative. Spreads from narrow to past the underflow, ties,
    // signed zeros and a NaN.
    void softmaxExpKernels_data()
    {
        addExpKernelRows();
    }
    void softmaxExpKernels()
    {
        namespace k = smartbot::engine::kernels;
        ExpKernelRow row = fetchExpKernelRow();
        const QString special = row.special;
        const auto impls = portableAndAvx2(k::softmaxExpPortable, k::softmaxExpAvx2);
        double worstUlps = 0;
        for (int64_t total = 1; total <= 37; ++total) {
            std::vector<float> scores(static_cast<size_t>(total));
            for (float &v : scores)
                v = row.draw();
            if (special == "zeros") // ties, and signed zeros
                for (int64_t t = 0; t < total; ++t)
                    scores[size_t(t)] = t % 3 == 0 ? 0.0f : t % 3 == 1 ? -0.0f : scores[0];
            if (special == "nan")
                scores[size_t(total / 2)] = std::nanf("");
            std::vector<std::vector<float>> out;
            std::vector<float> sums;
            for (const auto &[name, fn] : impls) {
                out.push_back(scores);
                sums.push_back(fn(out.back().data(), total));
            }
            for (size_t i = 1; i < impls.size(); ++i) {
                QVERIFY2(!std::memcmp(out[i].data(), out[0].data(), sizeof(float) * size_t(total)) ||
                             special == "nan", // NaN payloads aside, checked below
                         qPrintable(QString("%1 differs from portable at total %2").arg(impls[i].first).arg(total)));
                QVERIFY2(!std::memcmp(&sums[i], &sums[0], sizeof(float)) || special == "nan",
                         qPrintable(QString("%1's sum differs at total %2").arg(impls[i].first).arg(total)));
            }
            float m = -INFINITY;
            for (float v : scores)
                if (!std::isnan(v))
                    m = std::max(m, v);
            double exactSum = 0;
            for (int64_t t = 0; t < total; ++t) {
                // The difference rounded to float, as the kernels take it (that rounding is the caller's, not e^x's).
                const double x = double(scores[size_t(t)] - m);
                for (const auto &o : out) {
                    const float got = o[size_t(t)];
                    if (std::isnan(x)) {
                        QVERIFY(std::isnan(got));
                        continue;
                    }
                    const double want = std::exp(x);
                    if (x < -87.0) {
                        QVERIFY2(got == 0.0f, qPrintable(QString("e^%1 gave %2").arg(x).arg(got)));
                        continue;
                    }
                    const double ulps = std::abs(double(got) - want) / (want * 0x1p-23);
                    worstUlps = std::max(worstUlps, ulps);
                    QVERIFY2(ulps <= 2, qPrintable(QString("e^%1: %2 against %3 (%4 ulps)")
                                                       .arg(x, 0, 'g', 9)
                                                       .arg(got, 0, 'g', 9)
                                                       .arg(want, 0, 'g', 17)
                                                       .arg(ulps)));
                }
                if (!std::isnan(x) && x >= -87.0)
                    exactSum += std::exp(x);
            }
            for (float sum : sums)
                if (special == "nan")
                    QVERIFY(std::isnan(sum));
                else
                    QVERIFY2(std::abs(sum - exactSum) <= 1e-6 * exactSum,
                             qPrintable(QString("sum %1 against %2").arg(sum, 0, 'g', 9).arg(exactSum, 0, 'g', 17)));
        }
        qInfo("worst numerator error: %.2f ulps", worstUlps);
    }

    // The SiLU-gate kernels (exp_kernels.h): the portable and AVX2 ones give the same bits for 1 to 37 values (whole
    // vectors and tails), and silu(g) * u is within 4 float ulps of double precision; past e^x's range, the limits
    // (g where e^-g is 0, -0 where it is +inf). Zeros, signed zeros and a NaN.
    void siluGateKernels_data()
    {
        addExpKernelRows();
    }
    void siluGateKernels()
    {
        namespace k = smartbot::engine::kernels;
        ExpKernelRow row = fetchExpKernelRow();
        const QString special = row.special;
        const auto impls = portableAndAvx2(k::siluGatePortable, k::siluGateAvx2);
        double worstUlps = 0;
        for (int64_t n = 1; n <= 37; ++n) {
            std::vector<float> gate(static_cast<size_t>(n)), up(static_cast<size_t>(n));
            for (size_t i = 0; i < gate.size(); ++i) {
                gate[i] = row.draw();
                up[i] = row.draw() / float(row.spread);
            }
            if (special == "zeros")
                for (size_t i = 0; i < gate.size(); i += 2)
                    gate[i] = i % 4 == 0 ? 0.0f : -0.0f;
            if (special == "nan")
                gate[size_t(n / 2)] = std::nanf("");
            std::vector<std::vector<float>> out;
            for (const auto &[name, fn] : impls) {
                out.push_back(gate);
                fn(out.back().data(), up.data(), n);
            }
            for (size_t i = 1; i < impls.size(); ++i)
                QVERIFY2(!std::memcmp(out[i].data(), out[0].data(), sizeof(float) * size_t(n)) || special == "nan",
                         qPrintable(QString("%1 differs from portable at n %2").arg(impls[i].first).arg(n)));
            for (int64_t i = 0; i < n; ++i) {
                const double g = gate[size_t(i)], u = up[size_t(i)];
                for (const auto &o : out) {
                    const float got = o[size_t(i)];
                    if (std::isnan(g)) {
                        QVERIFY(std::isnan(got));
                        continue;
                    }
                    if (g > 87.0 || g < -88.0) { // e^-g is 0 or +inf: g * u, or -0 * u
                        const float limit = g > 0 ? float(g * u) : -0.0f * float(u);
                        QVERIFY2(!std::memcmp(&got, &limit, sizeof got),
                                 qPrintable(QString("silu(%1) * %2 gave %3").arg(g).arg(u).arg(got)));
                        continue;
                    }
                    const double want = g / (1.0 + std::exp(-g)) * u;
                    if (want == 0) {
                        QCOMPARE(double(got), 0.0);
                        continue;
                    }
                    const double ulps = std::abs(double(got) - want) / (std::abs(want) * 0x1p-23);
                    worstUlps = std::max(worstUlps, ulps);
                    QVERIFY2(ulps <= 4, qPrintable(QString("silu(%1) * %2: %3 against %4 (%5 ulps)")
                                                       .arg(g, 0, 'g', 9)
                                                       .arg(u, 0, 'g', 9)
                                                       .arg(got, 0, 'g', 9)
                                                       .arg(want, 0, 'g', 17)
                                                       .arg(ulps)));
                }
            }
        }
        qInfo("worst silu error: %.2f ulps", worstUlps);
    }

    // A model whose sizes are no multiple of the kernels' tiles or vector width (hidden 72, intermediate 101,
    // head_dim 18): logits match the float64 reference, and sequences batched 1..9 at a time, at different
    // positions, generate exactly what each generates alone.
    void oddSizesBatchedEqualsAlone()
    {
        const RandomModelSpec s = oddSpec("F32");
        const std::string dir = path("odd");
        const RandomModel m = writeRandomModel(dir, s);
        const double err = compare(dir, m);
        qInfo("odd sizes: relative max abs logit error %.2g", err);
        QVERIFY2(err < 1e-5, qPrintable(QString::number(err)));

        auto e = Engine::load(dir);
        QVERIFY(e.ok());
        batchedEqualsAlone(*e.value(), {1, 2, 3, 4, 5, 7, 9});
        if (QTest::currentTestFailed())
            return;
        // The libtorch-operator path (CUDA's) batches its projections too: same tokens alone or batched.
        LoadOptions torchPath;
        torchPath.fusedCpuDecode = false;
        torchPath.prefixCache = false;
        auto t = Engine::load(dir, torchPath);
        QVERIFY(t.ok());
        batchedEqualsAlone(*t.value(), {1, 3, 9});
    }

    // Up to 512 positions (LlamaModel::fusedPrefillMax()) run through the fused CPU pass at once, each row attending
    // to the rows before it in the same pass: every position's logits are the very bits that stepping the tokens one
    // at a time gives (the prefill of a generated text is that pass, with the last row's logits only). A longer
    // input goes through libtorch's operators: the same within float32 rounding. Odd sizes (GQA, head_dim 18) in
    // float32, and weights quantized to Q8_0 on load (8-bit activations, each row quantized alone; up to 128
    // positions in the pass). In bfloat16 the pass takes up to 64 positions; longer ones, libtorch's bfloat16
    // operators, are the same within bfloat16 rounding.
    void promptPassEqualsDecodeSteps_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("length");
        QTest::addColumn<bool>("sameBits");
        // The fused pass takes float32 prompts of up to 512 positions, quantized ones of up to 128 and bfloat16
        // ones of up to 64 (LlamaModel::fusedPrefillMax); longer ones go through libtorch's operators.
        for (const int n : {1, 2, 12, 128, 129, 511, 512})
            QTest::addRow("odd-f32 %d", n) << "odd-f32" << n << true;
        QTest::addRow("odd-f32 513") << "odd-f32" << 513 << false;
        for (const int n : {1, 2, 12, 127, 128})
            QTest::addRow("q8_0 %d", n) << "q8_0" << n << true;
        QTest::addRow("q8_0 129") << "q8_0" << 129 << false;
        for (const int n : {1, 2, 12, 63, 64})
            QTest::addRow("odd-bf16 %d", n) << "odd-bf16" << n << true;
        QTest::addRow("odd-bf16 65") << "odd-bf16" << 65 << false;
    }
    void promptPassEqualsDecodeSteps()
    {
        QFETCH(QString, model);
        QFETCH(int, length);
        QFETCH(bool, sameBits);
        const std::string dir = path(qPrintable("prompt-" + model));
        if (!std::filesystem::exists(dir + "/config.json")) {
            RandomModelSpec s = model == "q8_0" ? spec() : oddSpec(model == "odd-bf16" ? "BF16" : "F32");
            s.maxPositions = 640; // room for the 513-position prompt
            writeRandomModel(dir, s);
        }
        LoadOptions o;
        o.quantize = model == "q8_0" ? "q8_0" : "none";
        if (model == "odd-bf16")
            o.dtype = "bfloat16";
        auto e = Engine::load(dir, o);
        QVERIFY2(e.ok(), e.ok() ? "" : e.error().c_str());
        std::mt19937 rng{uint32_t(length)};
        std::vector<int32_t> ids{1};
        while (int(ids.size()) < length)
            ids.push_back(int32_t(3 + rng() % 509));
        auto pass = e.value()->logits(ids, /*incremental=*/false);
        auto steps = e.value()->logits(ids, /*incremental=*/true);
        QVERIFY(pass.ok() && steps.ok());
        QCOMPARE(pass->size(), size_t(length));
        double worst = 0, scale = 0;
        for (size_t t = 0; t < steps->size(); ++t)
            for (size_t i = 0; i < (*steps)[t].size(); ++i) {
                worst = std::max(worst, std::abs(double((*pass)[t][i]) - double((*steps)[t][i])));
                scale = std::max(scale, std::abs(double((*steps)[t][i])));
            }
        qInfo("%s: max abs difference %.3g (logits up to %.3g)", QTest::currentDataTag(), worst, scale);
        if (sameBits)
            QCOMPARE(worst, 0.0);
        else
            QVERIFY2(worst <= 1e-5 * std::max(1.0, scale) ||
                         (model != "odd-f32" && worst <= 2e-2 * std::max(1.0, scale)),
                     qPrintable(QString::number(worst)));
    }

    // A short prompt runs in the next step's pass beside the running sequences' tokens (LlamaModel::stepSpans):
    // its first (greedy) token is the one of the prompt's own pass (forward()), whether it joins alone, with
    // other prompts or beside decode rows, and whatever its length up to the fused pass's limit.
    void foldedPromptEqualsPrefill_data()
    {
        QTest::addColumn<int>("length");
        QTest::addColumn<int>("running"); // sequences decoding when it joins
        for (const int n : {1, 5, 12, 64, 512})
            for (const int running : {0, 3})
                QTest::addRow("%d positions beside %d", n, running) << n << running;
    }
    void foldedPromptEqualsPrefill()
    {
        QFETCH(int, length);
        QFETCH(int, running);
        const std::string dir = path("prompt-odd-f32");
        if (!std::filesystem::exists(dir + "/config.json")) {
            RandomModelSpec s = oddSpec("F32");
            s.maxPositions = 640;
            writeRandomModel(dir, s);
        }
        LoadOptions o;
        o.prefixCache = false;
        auto loaded = Engine::load(dir, o);
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().c_str());
        Engine &e = *loaded.value();
        std::mt19937 rng{uint32_t(length)};
        std::vector<int32_t> ids{1};
        while (int(ids.size()) < length)
            ids.push_back(int32_t(3 + rng() % 509));
        auto pass = e.logits(ids, /*incremental=*/false); // forward(): the prompt's own pass
        QVERIFY(pass.ok());
        const std::vector<float> &last = pass->back();
        const int32_t expected = int32_t(std::max_element(last.begin(), last.end()) - last.begin());
        GenerationParams g;
        g.maxTokens = 8;
        std::vector<Engine::StepEvent> events;
        for (int r = 0; r < running; ++r) { // decoding by the time the prompt joins
            QVERIFY(e.begin({1, int32_t(10 + r)}, g, events).ok());
            e.step(events);
        }
        GenerationParams one;
        one.maxTokens = 1;
        auto id = e.begin(ids, one, events);
        QVERIFY(id.ok());
        events.clear();
        e.step(events);
        bool found = false;
        for (const auto &ev : events)
            if (ev.id == id.value() && ev.finished) {
                found = true;
                QCOMPARE(ev.result.ids, std::vector<int32_t>{expected});
            }
        QVERIFY2(found, "the prompt's first token did not come from the step it joined");
    }

    // The fused bfloat16 decode step on the same odd sizes: batched sequences generate exactly what each generates
    // alone.
    void bf16FusedBatchedEqualsAlone()
    {
        const RandomModelSpec s = oddSpec("BF16");
        const std::string dir = path("odd-bf16");
        writeRandomModel(dir, s);
        LoadOptions o;
        o.dtype = "bfloat16";
        o.fusedCpuDecode = true;
        auto e = Engine::load(dir, o);
        QVERIFY(e.ok());
        QCOMPARE(e.value()->info().dtype, std::string("bfloat16"));
        batchedEqualsAlone(*e.value(), {1, 2, 3, 4, 5, 7, 9});
    }

    // A long prompt over many heads: prefill attention goes in chunks of query rows (llama_model.cpp keeps each
    // chunk's scores under 8 MB: here 8 MB / (32 heads x 2,500 keys x 4 bytes) = 26 rows), each chunk seeing the keys
    // up to its own last position. Its logits must be those of stepping the tokens one at a time (no chunks, a
    // different order of float sums), and several long inputs packed into one pass (embeddings, a block-diagonal
    // mask) must pool to what each gives alone.
    void longPrefillAttendsInChunks()
    {
        RandomModelSpec s;
        s.hidden = 256;
        s.heads = 32;
        s.kvHeads = 8;
        s.layers = 1;
        s.intermediate = 64;
        s.maxPositions = 2560;
        s.keepValues = false;
        s.tokenizerDir = kTokenizerDir;
        const std::string dir = path("long");
        writeRandomModel(dir, s);
        auto e = Engine::load(dir);
        QVERIFY2(e.ok(), e.ok() ? "" : e.error().c_str());
        Engine &engine = *e.value();
        std::mt19937 rng(3);
        std::vector<int32_t> ids(2500);
        for (auto &id : ids)
            id = int32_t(rng() % 512);
        auto chunked = engine.logits(ids, false), stepped = engine.logits(ids, true);
        QVERIFY(chunked.ok() && stepped.ok());
        double worst = 0, scale = 0;
        for (size_t t = 0; t < ids.size(); ++t)
            for (size_t v = 0; v < (*chunked)[t].size(); ++v) {
                worst = std::max(worst, double(std::abs((*chunked)[t][v] - (*stepped)[t][v])));
                scale = std::max(scale, double(std::abs((*stepped)[t][v])));
            }
        qInfo("2,500-token prefill in chunks vs stepped: max abs logit difference %.3g (logits up to %.3g)", worst,
              scale);
        QVERIFY2(worst < 1e-4 * std::max(1.0, scale), qPrintable(QString::number(worst)));

        const std::vector<int32_t> a(ids.begin(), ids.begin() + 1300), b(ids.begin() + 1300, ids.end());
        auto both = engine.embed({a, b});
        QVERIFY2(both.ok(), both.ok() ? "" : both.error().c_str());
        const std::vector<int32_t> *inputs[2] = {&a, &b};
        for (int i = 0; i < 2; ++i) {
            auto one = engine.embed({*inputs[i]});
            QVERIFY(one.ok());
            double d = 0;
            for (size_t k = 0; k < one->at(0).size(); ++k)
                d = std::max(d, double(std::abs(one->at(0)[k] - both->at(size_t(i))[k])));
            QVERIFY2(d < 1e-4, qPrintable(QString("input %1: %2").arg(i).arg(d)));
        }
    }

    void dtypeChoice()
    {
        RandomModelSpec s = spec();
        s.dtype = "BF16";
        const std::string dir = path("dtype-bf16");
        writeRandomModel(dir, s);
        const bool nativeBf16 = __builtin_cpu_supports("avx512bf16");
        auto automatic = Engine::load(dir);
        QVERIFY(automatic.ok());
        QCOMPARE(automatic.value()->info().dtype, std::string(nativeBf16 ? "bfloat16" : "float32"));
        LoadOptions f32;
        f32.dtype = "float32";
        QCOMPARE(Engine::load(dir, f32).value()->info().dtype, std::string("float32"));
        LoadOptions f16;
        f16.dtype = "float16";
        f16.device = "cpu";
        auto half = Engine::load(dir, f16);
        QVERIFY(!half.ok());
        QVERIFY2(QString::fromStdString(half.error()).contains("float16 needs CUDA"), half.error().c_str());
        LoadOptions bad;
        bad.dtype = "int4";
        auto refused = Engine::load(dir, bad);
        QVERIFY(!refused.ok());
        QVERIFY2(QString::fromStdString(refused.error()).contains("int4"), refused.error().c_str());
        // float32 weights stay float32 (exact) whatever the CPU.
        QCOMPARE(Engine::load(path("odd")).value()->info().dtype, std::string("float32"));
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
        QVERIFY2(QString::fromStdString(bad.error()).contains("model.layers.9.mlp.up_proj.weight"),
                 bad.error().c_str());
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
        cfg["chat_template"] =
            "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('no system "
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
        QCOMPARE(ids.value(), e.value()->tokenizer().encode(
                                  "<s>[user] Hi there\n<s>[assistant] Hello\n<s>[user] Bye\n[assistant] ", false));
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
        QTest::newRow("yarn") << R"({"rope_scaling":{"rope_type":"yarn","factor":4}})"
                              << "yarn";
        QTest::newRow("phi3") << R"({"architectures":["Phi3ForCausalLM"]})"
                              << "Phi3ForCausalLM";
        QTest::newRow("llama3 incomplete") << R"({"rope_scaling":{"rope_type":"llama3","factor":8}})"
                                           << "rope_scaling";
        QTest::newRow("mlp bias") << R"({"mlp_bias":true})"
                                  << "mlp_bias";
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
