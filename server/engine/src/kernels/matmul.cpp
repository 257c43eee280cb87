// The portable matmul kernel and the once-per-process choice of kernel (see matmul.h).
#include "kernels/matmul.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>
#include <vector>

#include "kernels/cpu_features.h"

namespace smartbot::engine::kernels {

namespace {

// The 16 lanes of a bfloat16 output folded in the kernels' fixed order (matmul.h): l with l + 8, then the AVX2
// kernel's 8-lane reduce (halves, then the upper pair onto the lower, then lane 1 onto 0).
float reduce16(const float acc[16])
{
    float h[8];
    for (int l = 0; l < 8; ++l)
        h[l] = acc[l] + acc[l + 8];
    const float s0 = h[0] + h[4], s1 = h[1] + h[5], s2 = h[2] + h[6], s3 = h[3] + h[7];
    return (s0 + s2) + (s1 + s3);
}

// One bfloat16 output as VDPBF16PS computes it: w one weight row (cols values), xb one padded activation row.
float bf16PairDot(const uint16_t *w, int64_t cols, const uint16_t *xb)
{
    float acc[16] = {};
    const int64_t padded = bf16PairStride(cols);
    const auto weight = [&](int64_t i) { return i < cols ? bf16ToFloat(w[i]) : 0.0f; };
    for (int64_t i = 0; i < padded; i += 32)
        for (int l = 0; l < 16; ++l) {
            acc[l] += weight(i + 2 * l + 1) * bf16ToFloat(xb[i + 2 * l + 1]);
            acc[l] += weight(i + 2 * l) * bf16ToFloat(xb[i + 2 * l]);
        }
    return reduce16(acc);
}

struct Choice {
    MatmulRowsFn fn;
    const char *name;
};

const Choice &choice()
{
    static const Choice chosen = cpuHasAvx512F()   ? Choice{matmulRowsAvx512, "avx512f"}
                                 : cpuHasAvx2Fma() ? Choice{matmulRowsAvx2, "avx2-fma"}
                                                   : Choice{matmulRowsPortable, "portable"};
    return chosen;
}

void rowsPortable(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y, int64_t yStride,
                  int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    for (int64_t r = rowBegin; r < rowEnd; ++r) {
        const float *wr = w + r * cols;
        for (int64_t b = 0; b < B; ++b) {
            const float v = dot8(wr, x + b * xStride, cols);
            float &out = y[b * yStride + r];
            out = accumulate ? out + v : v;
        }
    }
}

} // namespace

void matmulRowsPortable(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                        int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    rowsPortable(w, cols, x, xStride, B, y, yStride, rowBegin, rowEnd, accumulate);
}

void matmulRowsBf16Portable(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                            int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    const uint16_t *xb = bf16Activations(x, xStride, B, cols);
    const int64_t xbStride = bf16PairStride(cols);
    for (int64_t r = rowBegin; r < rowEnd; ++r)
        for (int64_t b = 0; b < B; ++b) {
            const float v = bf16PairDot(w + r * cols, cols, xb + b * xbStride);
            float &out = y[b * yStride + r];
            out = accumulate ? out + v : v;
        }
}

namespace {
// floatToBf16 without branches, so that bf16Activations' loop vectorises (baseline SSE2); the selects are masks.
// A scalar call per value was 3.6% of a 64-stream bfloat16 decode profile.
inline uint16_t roundToBf16(uint32_t u)
{
    const uint32_t nearest = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16; // an overflow carries into +-inf, as it should
    const uint32_t quietNan = (u >> 16) | 0x40u;                     // a NaN keeps its sign and the top of its payload
    const uint32_t signedZero = (u >> 16) & 0x8000u; // zero or subnormal: VDPBF16PS reads it as zero anyway (DAZ)
    const uint32_t isNan = 0u - uint32_t((u & 0x7fffffffu) > 0x7f800000u);
    const uint32_t isTiny = 0u - uint32_t((u & 0x7f800000u) == 0);
    const uint32_t finite = (nearest & ~isTiny) | (signedZero & isTiny);
    return uint16_t((finite & ~isNan) | (quietNan & isNan));
}
} // namespace

uint16_t floatToBf16(float f)
{
    return roundToBf16(std::bit_cast<uint32_t>(f));
}

const uint16_t *bf16Activations(const float *x, int64_t xStride, int64_t B, int64_t cols)
{
    thread_local std::vector<uint16_t> buf;
    const int64_t stride = bf16PairStride(cols);
    buf.resize(std::size_t(B * stride));
    for (int64_t b = 0; b < B; ++b) {
        const float *in = x + b * xStride;
        uint16_t *out = buf.data() + b * stride; // hoisted, so the loop vectorises
        for (int64_t i = 0; i < cols; ++i)
            out[i] = roundToBf16(std::bit_cast<uint32_t>(in[i]));
        for (int64_t i = cols; i < stride; ++i)
            out[i] = 0;
    }
    return buf.data();
}

const float *f32PairActivations(const float *x, int64_t xStride, int64_t B, int64_t cols)
{
    thread_local std::vector<float> buf;
    const int64_t stride = f32PairStride(cols), full = cols / 8, tail = cols - 8 * full;
    // Every float is written once: copied, or zero where the kernels read padding (the last block's missing columns,
    // the missing partner of an odd B) and must find zeros.
    buf.resize(std::size_t((B + 1) / 2 * stride));
    for (int64_t b = 0; b < B; ++b) {
        const float *in = x + b * xStride;
        float *out = buf.data() + b / 2 * stride + b % 2 * 8;
        for (int64_t c = 0; c < full; ++c)
            std::memcpy(out + 16 * c, in + 8 * c, 8 * sizeof(float));
        if (tail > 0) {
            std::memcpy(out + 16 * full, in + 8 * full, std::size_t(tail) * sizeof(float));
            std::fill(out + 16 * full + tail, out + 16 * full + 8, 0.0f);
        }
    }
    if (B % 2 == 1) {
        float *partner = buf.data() + B / 2 * stride + 8;
        for (int64_t c = 0; c < stride / 16; ++c)
            std::fill(partner + 16 * c, partner + 16 * c + 8, 0.0f);
    }
    return buf.data();
}

namespace {
struct Bf16Choice {
    MatmulRowsBf16Fn fn;
    const char *name;
};
const Bf16Choice &bf16Choice()
{
    static const Bf16Choice chosen = cpuHasAvx512Bf16() ? Bf16Choice{matmulRowsBf16Avx512, "avx512-bf16"}
                                     : cpuHasAvx2Fma()  ? Bf16Choice{matmulRowsBf16Avx2, "avx2-fma"}
                                                        : Bf16Choice{matmulRowsBf16Portable, "portable"};
    return chosen;
}
} // namespace

MatmulRowsBf16Fn matmulRowsBf16()
{
    return bf16Choice().fn;
}

const char *matmulBf16KernelName()
{
    return bf16Choice().name;
}

MatmulRowsFn matmulRows()
{
    return choice().fn;
}

const char *matmulKernelName()
{
    return choice().name;
}

} // namespace smartbot::engine::kernels
