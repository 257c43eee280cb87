// The quantized matmul kernels (kernels/quant_matmul.h) on random blocks of every type they read: the AVX2 and
// AVX512-VNNI kernels (their batched tiles over groups of 8 sequences and their row-at-a-time remainder) equal the
// portable one bit for bit; an output never depends on the batch it was computed in; and each kernel
// computes exactly the product of the dequantized weights (gguf/ggml_type.cpp, itself checked against llama.cpp's
// files in test_gguf) with the 8-bit activations, up to float32 rounding.
#include <QtTest>

#include <cmath>
#include <cstring>
#include <random>

#include "gguf/ggml_type.h"
#include "kernels/quant_matmul.h"

using namespace smartbot::engine;
using namespace smartbot::engine::kernels;

namespace {

// rows x cols weights of `type` with random bytes, every float16 scale replaced by a random normal value (random
// bits would give infinities and NaNs, which say nothing about the kernels).
std::vector<uint8_t> randomWeights(gguf::GgmlType type, int64_t rows, int64_t cols, std::mt19937 &rng)
{
    const gguf::GgmlTypeInfo &info = *gguf::ggmlTypeInfo(type);
    const int64_t blocks = rows * cols / info.blockSize;
    std::vector<uint8_t> w(size_t(blocks * info.blockBytes));
    for (auto &b : w)
        b = uint8_t(rng());
    std::uniform_real_distribution<float> scale(-0.05f, 0.05f);
    const auto setHalf = [&](uint8_t *p) {
        const uint16_t h = gguf::floatToHalf(scale(rng));
        std::memcpy(p, &h, 2);
    };
    for (int64_t i = 0; i < blocks; ++i) {
        uint8_t *b = w.data() + i * info.blockBytes;
        switch (type) {
        case gguf::GgmlType::Q8_0:
        case gguf::GgmlType::Q4_0:
            setHalf(b);
            break;
        case gguf::GgmlType::Q4_K:
        case gguf::GgmlType::Q5_K:
            setHalf(b);
            setHalf(b + 2);
            break;
        case gguf::GgmlType::Q6_K:
            setHalf(b + 208);
            break;
        default:
            qFatal("no layout for this type");
        }
    }
    return w;
}

std::vector<float> randomActivations(int64_t n, std::mt19937 &rng)
{
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n));
    for (auto &v : x)
        v = dist(rng);
    return x;
}

} // namespace

class TestQuantMatmul : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void kernels_data()
    {
        QTest::addColumn<int>("type");
        QTest::addColumn<int>("cols");
        QTest::newRow("Q8_0") << int(gguf::GgmlType::Q8_0) << 352; // 8 blocks at once, then 3 alone
        QTest::newRow("Q4_0") << int(gguf::GgmlType::Q4_0) << 352;
        QTest::newRow("Q4_K") << int(gguf::GgmlType::Q4_K) << 512;
        QTest::newRow("Q5_K") << int(gguf::GgmlType::Q5_K) << 512;
        QTest::newRow("Q6_K") << int(gguf::GgmlType::Q6_K) << 512;
    }

    void kernels()
    {
        QFETCH(int, type);
        QFETCH(int, cols);
        const auto t = gguf::GgmlType(type);
        const gguf::GgmlTypeInfo &info = *gguf::ggmlTypeInfo(t);
        QVERIFY(quantKernelSupports(uint32_t(type)));
        std::mt19937 rng(uint32_t(type) * 7919u + 1);
        const int64_t rows = 37, B = 19; // two packed groups of 8 sequences and 3 more; rows: 9 tiles of 4 and 1
        const uint64_t rowBytes = uint64_t(cols / info.blockSize * info.blockBytes);
        const auto w = randomWeights(t, rows, cols, rng);
        const auto xf = randomActivations(B * cols, rng);
        Q8Activations x;
        x.quantize(xf.data(), cols, B, cols);

        // Portable, the whole batch at once.
        std::vector<float> portable(size_t(B * rows));
        quantMatmulRowsPortable(uint32_t(type), w.data(), rowBytes, x, portable.data(), rows, 0, rows, false);

        // Against the dequantized weights times the dequantized activations, in double.
        std::vector<float> wf(static_cast<size_t>(cols));
        double worst = 0;
        for (int64_t r = 0; r < rows; ++r) {
            info.dequantize(w.data() + uint64_t(r) * rowBytes, wf.data(), cols / info.blockSize);
            for (int64_t b = 0; b < B; ++b) {
                double ref = 0, scale = 0;
                for (int64_t i = 0; i < cols; ++i) {
                    const double xv = double(x.dRow(b)[i / 32]) * double(x.qRow(b)[i]);
                    ref += double(wf[size_t(i)]) * xv;
                    scale += std::abs(double(wf[size_t(i)]) * xv);
                }
                worst = std::max(worst, std::abs(double(portable[size_t(b * rows + r)]) - ref) / (scale + 1e-30));
            }
        }
        qInfo("%s: worst error vs the dequantized product, relative to sum |w x|: %.2g", info.name, worst);
        QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));

        // Batch independence: each sequence alone, and row ranges, give the very same bits.
        for (int64_t b = 0; b < B; ++b) {
            Q8Activations one;
            one.quantize(xf.data() + b * cols, cols, 1, cols);
            std::vector<float> y(static_cast<size_t>(rows));
            quantMatmulRowsPortable(uint32_t(type), w.data(), rowBytes, one, y.data(), rows, 0, 20, false);
            quantMatmulRowsPortable(uint32_t(type), w.data(), rowBytes, one, y.data(), rows, 20, rows, false);
            QVERIFY(std::memcmp(y.data(), portable.data() + b * rows, size_t(rows) * sizeof(float)) == 0);
        }

        // Accumulate adds to what is there.
        std::vector<float> acc(size_t(B * rows), 1.0f);
        quantMatmulRowsPortable(uint32_t(type), w.data(), rowBytes, x, acc.data(), rows, 0, rows, true);
        for (size_t i = 0; i < acc.size(); ++i)
            QCOMPARE(acc[i], 1.0f + portable[i]);

        if (!quantAvx2Available())
            QSKIP("this CPU has no AVX2: only the portable kernel runs here");
        std::vector<float> avx2(size_t(B * rows));
        quantMatmulRowsAvx2(uint32_t(type), w.data(), rowBytes, x, avx2.data(), rows, 0, rows, false);
        QVERIFY2(std::memcmp(avx2.data(), portable.data(), avx2.size() * sizeof(float)) == 0,
                 "the AVX2 kernel differs from the portable one");
        // Accumulating through the tiles too.
        std::vector<float> avx2Acc(size_t(B * rows), 1.0f);
        quantMatmulRowsAvx2(uint32_t(type), w.data(), rowBytes, x, avx2Acc.data(), rows, 0, rows, true);
        QVERIFY(std::memcmp(avx2Acc.data(), acc.data(), acc.size() * sizeof(float)) == 0);
        if (!quantVnniAvailable()) {
            QCOMPARE(QString(quantKernelName()), QString("avx2"));
            QSKIP("this CPU has no AVX512-VNNI: the AVX2 and portable kernels were compared");
        }
        std::vector<float> vnni(size_t(B * rows), 1.0f);
        quantMatmulRowsVnni(uint32_t(type), w.data(), rowBytes, x, vnni.data(), rows, 0, 20, false);
        quantMatmulRowsVnni(uint32_t(type), w.data(), rowBytes, x, vnni.data(), rows, 20, rows, false);
        QVERIFY2(std::memcmp(vnni.data(), portable.data(), vnni.size() * sizeof(float)) == 0,
                 "the AVX512-VNNI kernel differs from the portable one");
        QCOMPARE(QString(quantKernelName()), QString("avx512-vnni"));
    }

    void activationQuantizersAgree()
    {
        // The AVX2 quantizer equals the portable one bit for bit: random rows (with a stride), a block of zeros,
        // and a block whose products land exactly on .5 (amax 127: inv = 1; nearest-even decides).
        constexpr int64_t rows = 5, cols = 96, stride = 100;
        std::mt19937 rng(5);
        auto x = randomActivations(rows * stride, rng);
        std::fill(x.begin() + 32, x.begin() + 64, 0.0f);
        const float ties[] = {127.0f, 2.5f, -3.5f, 0.5f, -0.5f, 1.5f, 126.5f, -126.5f};
        for (int i = 0; i < 32; ++i)
            x[size_t(stride + i)] = ties[i % 8];
        std::vector<int8_t> q[2] = {std::vector<int8_t>(rows * cols), std::vector<int8_t>(rows * cols)};
        std::vector<float> d[2] = {std::vector<float>(rows * cols / 32), std::vector<float>(rows * cols / 32)};
        std::vector<int32_t> sums[2] = {std::vector<int32_t>(rows * cols / 16), std::vector<int32_t>(rows * cols / 16)};
        quantizeActivationsPortable(x.data(), stride, rows, cols, q[0].data(), d[0].data(), sums[0].data());
        QCOMPARE(int(q[0][size_t(cols + 1)]), 2); // 2.5 to even
        QCOMPARE(int(q[0][size_t(cols + 2)]), -4);
        if (!quantAvx2Available())
            QSKIP("this CPU has no AVX2: only the portable quantizer runs here");
        quantizeActivationsAvx2(x.data(), stride, rows, cols, q[1].data(), d[1].data(), sums[1].data());
        QVERIFY(q[0] == q[1]);
        QVERIFY(std::memcmp(d[0].data(), d[1].data(), d[0].size() * sizeof(float)) == 0);
        QVERIFY(sums[0] == sums[1]);
    }

    void activationQuantization()
    {
        const std::vector<float> x = {0.5f, -1.0f, 0.25f, 0.0f};
        std::vector<float> row(32, 0.0f);
        std::copy(x.begin(), x.end(), row.begin());
        Q8Activations q;
        q.quantize(row.data(), 32, 1, 32);
        QCOMPARE(q.d[0], 1.0f / 127.0f);
        QCOMPARE(int(q.q[0]), 64); // 63.5 rounds to even
        QCOMPARE(int(q.q[1]), -127);
        QCOMPARE(int(q.q[2]), 32);
        QCOMPARE(q.sums[0], 64 - 127 + 32);
        QCOMPARE(q.sums[1], 0);
        std::vector<float> zeros(32, 0.0f);
        q.quantize(zeros.data(), 32, 1, 32);
        QCOMPARE(q.d[0], 0.0f);
        QCOMPARE(int(q.q[5]), 0);
    }
};

QTEST_APPLESS_MAIN(TestQuantMatmul)
#include "test_quant_matmul.moc"
