// The portable quantized kernel, the activation quantizer and the once-per-process choice of kernel (see
// quant_matmul.h). Built with -ffp-contract=off (server/engine/CMakeLists.txt), as the AVX2 kernel is.
#include "kernels/quant_matmul.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu_features.h"
#include "kernels/quant_block_math.h"
#include "kernels/quant_row_unpack.h"

namespace smartbot::engine::kernels {

namespace {

struct Portable {
    static float half(const uint8_t *p) { return gguf::halfAt(p); }
    static int32_t q8_0(const uint8_t *block, const int8_t *x)
    {
        const auto *w = reinterpret_cast<const int8_t *>(block);
        int32_t s = 0;
        for (int i = 0; i < 32; ++i)
            s += int32_t(w[i]) * x[i];
        return s;
    }
    static int32_t q4_0(const uint8_t *qs, const int8_t *x)
    {
        int32_t s = 0;
        for (int i = 0; i < 16; ++i)
            s += (int32_t(qs[i] & 0xf) - 8) * x[i] + (int32_t(qs[i] >> 4) - 8) * x[i + 16];
        return s;
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
        for (int c = 0; c < 4; ++c) {
            int32_t lo = 0, hi = 0;
            for (int l = 0; l < 32; ++l) {
                lo += int32_t(qs[32 * c + l] & 0xf) * x[64 * c + l];
                hi += int32_t(qs[32 * c + l] >> 4) * x[64 * c + 32 + l];
            }
            out[2 * c] = lo;
            out[2 * c + 1] = hi;
        }
    }
    static void q5_k(const uint8_t *qh, const uint8_t *qs, const int8_t *x, int32_t out[8])
    {
        for (int c = 0; c < 4; ++c) {
            int32_t lo = 0, hi = 0;
            for (int l = 0; l < 32; ++l) {
                const int32_t a = (qs[32 * c + l] & 0xf) + ((qh[l] >> (2 * c)) & 1) * 16;
                const int32_t b = (qs[32 * c + l] >> 4) + ((qh[l] >> (2 * c + 1)) & 1) * 16;
                lo += a * x[64 * c + l];
                hi += b * x[64 * c + 32 + l];
            }
            out[2 * c] = lo;
            out[2 * c + 1] = hi;
        }
    }
    // Value v of the super-block: half h = v / 128; within it quarter k = (v % 128) / 32 and l = v % 32.
    static void q6_k(const uint8_t *block, const int8_t *x, int32_t out[16])
    {
        for (int g = 0; g < 16; ++g)
            out[g] = 0;
        for (int h = 0; h < 2; ++h) {
            const uint8_t *ql = block + 64 * h, *qh = block + 128 + 32 * h;
            for (int l = 0; l < 32; ++l) {
                const int32_t q[4] = {int32_t((ql[l] & 0xf) | ((qh[l] & 3) << 4)) - 32,
                                      int32_t((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32,
                                      int32_t((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32,
                                      int32_t((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32};
                for (int k = 0; k < 4; ++k) {
                    const int v = 128 * h + 32 * k + l;
                    out[v / 16] += q[k] * x[v];
                }
            }
        }
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
