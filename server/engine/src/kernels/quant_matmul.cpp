// The portable quantized kernel, the activation quantizer and the once-per-process choice of kernel (see
// quant_matmul.h). Built with -ffp-contract=off (server/engine/CMakeLists.txt), as the AVX2 kernel is.
#include "kernels/quant_matmul.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "gguf/block_values.h"
#include "kernels/cpu_features.h"
#include "kernels/quant_block_math.h"
#include "kernels/quant_row_unpack.h"

namespace smartbot::engine::kernels {

namespace {

struct Portable {
    static float half(const uint8_t *p) { return gguf::halfAt(p); }
    static void kTerms(float d, float dmin, const uint8_t sc[8], const uint8_t m[8], const int32_t isum[8],
                       const float *xd, const int32_t *xs, float out[8])
    {
        quant::kTermsScalar(d, dmin, sc, m, isum, xd, xs, out);
    }
    static void q6Terms(float d, const int8_t sc[16], const int32_t isum[16], const float *xd, float out[8])
    {
        quant::q6TermsScalar(d, sc, isum, xd, out);
    }
    static int32_t dot(const int8_t *w, const int8_t *x, int n)
    {
        int32_t s = 0;
        for (int i = 0; i < n; ++i)
            s += int32_t(w[i]) * x[i];
        return s;
    }
    static int32_t q8_0(const uint8_t *block, const int8_t *x)
    {
        return dot(reinterpret_cast<const int8_t *>(block), x, 32);
    }
    static int32_t q4_0(const uint8_t *qs, const int8_t *x)
    {
        int8_t v[32];
        gguf::q4_0Values(qs, v);
        return dot(v, x, 32);
    }
    static void q8_0x8(const uint8_t *blocks, const int8_t *x, int32_t out[8])
    {
        for (int k = 0; k < 8; ++k)
            out[k] = q8_0(blocks + 34 * k + 2, x + 32 * k);
    }
    static void q4_0x8(const uint8_t *blocks, const int8_t *x, int32_t out[8])
    {
        for (int k = 0; k < 8; ++k)
            out[k] = q4_0(blocks + 18 * k + 2, x + 32 * k);
    }
    static void q4_k(const uint8_t *qs, const int8_t *x, int32_t out[8])
    {
        int8_t v[256];
        gguf::q4_kValues(qs, v);
        for (int j = 0; j < 8; ++j)
            out[j] = dot(v + 32 * j, x + 32 * j, 32);
    }
    static void q5_k(const uint8_t *qh, const uint8_t *qs, const int8_t *x, int32_t out[8])
    {
        int8_t v[256];
        gguf::q5_kValues(qh, qs, v);
        for (int j = 0; j < 8; ++j)
            out[j] = dot(v + 32 * j, x + 32 * j, 32);
    }
    static void q6_k(const uint8_t *block, const int8_t *x, int32_t out[16])
    {
        int8_t v[256];
        gguf::q6_kValues(block, v);
        for (int g = 0; g < 16; ++g)
            out[g] = dot(v + 16 * g, x + 16 * g, 16);
    }
};

// The AVX2 kernel also converts float16 scales with F16C.
bool hasAvx2Kernel()
{
    return cpuHasAvx2Fma() && cpuHasF16c();
}

struct Choice {
    QuantMatmulFn fn;
    const char *name;
};

// AVX512-VNNI's 256-bit vpdpbusd needs AVX512-VL; the rest of that kernel is AVX2 code.
bool hasVnniKernel()
{
    return hasAvx2Kernel() && cpuHasAvx512Vnni();
}

const Choice &choice()
{
    static const Choice chosen = hasVnniKernel()   ? Choice{quantMatmulRowsVnni, "avx512-vnni"}
                                 : hasAvx2Kernel() ? Choice{quantMatmulRowsAvx2, "avx2"}
                                                   : Choice{quantMatmulRowsPortable, "portable"};
    return chosen;
}

} // namespace

void quantizeActivationsPortable(const float *x, int64_t xStride, int64_t rows, int64_t cols, int8_t *q, float *d,
                                 int32_t *sums)
{
    const int64_t blocks = cols / 32;
    for (int64_t r = 0; r < rows; ++r) {
        const float *xr = x + r * xStride;
        int8_t *qr = q + r * cols;
        for (int64_t j = 0; j < blocks; ++j) {
            float amax = 0;
            for (int i = 0; i < 32; ++i)
                amax = std::max(amax, std::abs(xr[32 * j + i]));
            const float scale = amax / 127.0f, inv = amax > 0 ? 127.0f / amax : 0.0f;
            d[r * blocks + j] = scale;
            int32_t s[2] = {0, 0};
            for (int i = 0; i < 32; ++i) {
                const int v = int(std::nearbyint(xr[32 * j + i] * inv));
                qr[32 * j + i] = int8_t(std::clamp(v, -127, 127));
                s[i / 16] += qr[32 * j + i];
            }
            sums[r * cols / 16 + 2 * j] = s[0];
            sums[r * cols / 16 + 2 * j + 1] = s[1];
        }
    }
}

void Q8Activations::quantize(const float *x, int64_t xStride, int64_t rowCount, int64_t columns)
{
    cols = columns;
    rows = rowCount;
    const int64_t blocks = cols / 32;
    q.resize(size_t(rows * cols));
    d.resize(size_t(rows * blocks));
    sums.resize(size_t(rows * cols / 16));
    // Measured 5% of a 64-stream decode step (on one thread, while the others wait) before the AVX2 version.
    static const auto quantizeRows = hasAvx2Kernel() ? quantizeActivationsAvx2 : quantizeActivationsPortable;
    quantizeRows(x, xStride, rows, cols, q.data(), d.data(), sums.data());
    const int64_t groups = rows / 8;
    packedQ.resize(size_t(groups * cols * 8));
    packedD.resize(size_t(groups * blocks * 8));
    packedSums.resize(size_t(groups * blocks * 8));
    for (int64_t g = 0; g < groups; ++g)
        for (int64_t s = 0; s < 8; ++s) {
            const int64_t r = 8 * g + s;
            const int8_t *qr = q.data() + r * cols;
            for (int64_t j = 0; j < blocks; ++j) {
                int8_t *dst = packedQ.data() + (g * blocks + j) * 256 + 4 * s;
                for (int l = 0; l < 8; ++l)
                    std::memcpy(dst + 32 * l, qr + 32 * j + 4 * l, 4);
                packedD[size_t((g * blocks + j) * 8 + s)] = d[size_t(r * blocks + j)];
                packedSums[size_t((g * blocks + j) * 8 + s)] =
                    sums[size_t(r * cols / 16 + 2 * j)] + sums[size_t(r * cols / 16 + 2 * j + 1)];
            }
        }
}

void quantMatmulRowsPortable(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                             int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    quant::matmulRows<Portable>(type, w, rowBytes, x, y, yStride, rowBegin, rowEnd, accumulate);
}

bool quantKernelSupports(uint32_t type)
{
    return quant::rowDotFor<Portable>(type) != nullptr;
}

QuantMatmulFn quantMatmulRows()
{
    return choice().fn;
}

bool quantAvx2Available()
{
    return hasAvx2Kernel();
}

bool quantVnniAvailable()
{
    return hasVnniKernel();
}

const char *quantKernelName()
{
    return choice().name;
}

void quant::RowUnpack::size(int64_t cols)
{
    q.resize(size_t(cols));
    sum16.resize(size_t(cols / 16));
    a.resize(size_t(cols / 32));
    b.resize(size_t(cols / 32));
    c.resize(size_t(cols / 16));
}

} // namespace smartbot::engine::kernels
