// Block layouts written from the GGUF/ggml format description: each quantized block starts (or, for Q6_K, ends)
// with float16 scales; the "K" types group 256 values into sub-blocks whose own 6- or 8-bit scales are relative to
// the super-block's float16 ones.
#include "gguf/ggml_type.h"

#include "gguf/block_values.h"

#include <array>
#include <cmath>
#include <cstring>

namespace smartbot::engine::gguf {

float halfToFloat(uint16_t h)
{
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
    if (exponent == 0) {
        const float f = float(mantissa) * 0x1p-24f; // zero or subnormal: mantissa x 2^-24, exact in float
        return sign ? -f : f;
    }
    const uint32_t bits = exponent == 31 ? (sign | 0x7f800000u | (mantissa << 13))
                                         : (sign | ((exponent + 112u) << 23) | (mantissa << 13));
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t floatToHalf(float value)
{
    uint32_t x;
    std::memcpy(&x, &value, sizeof x);
    const uint32_t sign = (x >> 16) & 0x8000u, absx = x & 0x7fffffffu;
    if (absx > 0x7f800000u)
        return uint16_t(sign | 0x7e00u); // NaN stays NaN (quiet)
    if (absx >= 0x477ff000u)
        return uint16_t(sign | 0x7c00u); // 65520 and above round to infinity
    if (absx < 0x38800000u) {            // below 2^-14: a half subnormal, mantissa = round(|value| x 2^24)
        float a;
        std::memcpy(&a, &absx, sizeof a);
        return uint16_t(sign | uint32_t(std::nearbyint(a * 0x1p24f))); // 0x400 there is the smallest normal
    }
    uint32_t h = (((absx >> 23) - 112u) << 10) | ((absx >> 13) & 0x3ffu);
    const uint32_t rest = absx & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
        ++h; // a carry out of the mantissa correctly bumps the exponent
    return uint16_t(sign | h);
}

namespace {

void dequantizeF32(const uint8_t *src, float *dst, int64_t n)
{
    std::memcpy(dst, src, size_t(n) * sizeof(float));
}

void dequantizeF16(const uint8_t *src, float *dst, int64_t n)
{
    for (int64_t i = 0; i < n; ++i)
        dst[i] = halfAt(src + 2 * i);
}

void dequantizeBf16(const uint8_t *src, float *dst, int64_t n)
{
    for (int64_t i = 0; i < n; ++i) {
        uint16_t b;
        std::memcpy(&b, src + 2 * i, sizeof b);
        const uint32_t bits = uint32_t(b) << 16;
        std::memcpy(&dst[i], &bits, sizeof bits);
    }
}

// Q8_0: float16 d, then 32 int8; value = d x q.
void dequantizeQ8_0(const uint8_t *src, float *dst, int64_t blocks)
{
    for (int64_t b = 0; b < blocks; ++b, src += 34, dst += 32) {
        const float d = halfAt(src);
        const auto *q = reinterpret_cast<const int8_t *>(src + 2);
        for (int i = 0; i < 32; ++i)
            dst[i] = d * float(q[i]);
    }
}

// Q4_0: float16 d, then 16 bytes of nibbles (block_values.h); value = d x q.
void dequantizeQ4_0(const uint8_t *src, float *dst, int64_t blocks)
{
    int8_t v[32];
    for (int64_t b = 0; b < blocks; ++b, src += 18, dst += 32) {
        const float d = halfAt(src);
        q4_0Values(src + 2, v);
        for (int i = 0; i < 32; ++i)
            dst[i] = d * float(v[i]);
    }
}

// Q4_K (144 bytes / 256 values): float16 d and dmin, 12 bytes of packed sub-block scales and mins, 128 bytes of
// nibbles; Q5_K (176 bytes) has 32 bytes of fifth bits before the nibbles. Sub-block j of 32 values:
// value = d x scale_j x q - dmin x min_j.
template <int64_t kBytes, bool kFive> void dequantizeK(const uint8_t *src, float *dst, int64_t blocks)
{
    int8_t v[256];
    for (int64_t b = 0; b < blocks; ++b, src += kBytes, dst += 256) {
        const float d = halfAt(src), dmin = halfAt(src + 2);
        uint8_t sc[8], m[8];
        kQuantScalesMins(src + 4, sc, m);
        if (kFive)
            q5_kValues(src + 16, src + 48, v);
        else
            q4_kValues(src + 16, v);
        for (int j = 0; j < 8; ++j) {
            const float dj = d * sc[j], oj = dmin * m[j];
            for (int l = 0; l < 32; ++l)
                dst[32 * j + l] = dj * float(v[32 * j + l]) - oj;
        }
    }
}

// Q6_K (210 bytes / 256 values): 192 bytes of 6-bit values, 16 int8 scales (one per 16 values), float16 d last;
// value = d x scale x q.
void dequantizeQ6_K(const uint8_t *src, float *dst, int64_t blocks)
{
    int8_t v[256];
    for (int64_t b = 0; b < blocks; ++b, src += 210, dst += 256) {
        const float d = halfAt(src + 208);
        const auto *sc = reinterpret_cast<const int8_t *>(src + 192);
        q6_kValues(src, v);
        for (int i = 0; i < 256; ++i)
            dst[i] = d * float(sc[i / 16]) * float(v[i]);
    }
}

// Every type id ggml defines up to BF16, so that an unsupported one is refused by name. Sizes of the types not
// decoded here are still needed: they decide where a tensor ends, which the reader checks against the file.
constexpr std::array<GgmlTypeInfo, 34> kTypes{{
    {0, "F32", 1, 4, dequantizeF32},
    {1, "F16", 1, 2, dequantizeF16},
    {2, "Q4_0", 32, 18, dequantizeQ4_0},
    {3, "Q4_1", 32, 20, nullptr},
    {6, "Q5_0", 32, 22, nullptr},
    {7, "Q5_1", 32, 24, nullptr},
    {8, "Q8_0", 32, 34, dequantizeQ8_0},
    {9, "Q8_1", 32, 36, nullptr},
    {10, "Q2_K", 256, 84, nullptr},
    {11, "Q3_K", 256, 110, nullptr},
    {12, "Q4_K", 256, 144, dequantizeK<144, false>},
    {13, "Q5_K", 256, 176, dequantizeK<176, true>},
    {14, "Q6_K", 256, 210, dequantizeQ6_K},
    {15, "Q8_K", 256, 292, nullptr},
    {16, "IQ2_XXS", 256, 66, nullptr},
    {17, "IQ2_XS", 256, 74, nullptr},
    {18, "IQ3_XXS", 256, 98, nullptr},
    {19, "IQ1_S", 256, 50, nullptr},
    {20, "IQ4_NL", 32, 18, nullptr},
    {21, "IQ3_S", 256, 110, nullptr},
    {22, "IQ2_S", 256, 82, nullptr},
    {23, "IQ4_XS", 256, 136, nullptr},
    {24, "I8", 1, 1, nullptr},
    {25, "I16", 1, 2, nullptr},
    {26, "I32", 1, 4, nullptr},
    {27, "I64", 1, 8, nullptr},
    {28, "F64", 1, 8, nullptr},
    {29, "IQ1_M", 256, 56, nullptr},
    {30, "BF16", 1, 2, dequantizeBf16},
    {34, "TQ1_0", 256, 54, nullptr},
    {35, "TQ2_0", 256, 66, nullptr},
    {39, "MXFP4", 32, 17, nullptr},
    {4, "Q4_2 (removed from ggml)", 32, 20, nullptr},
    {5, "Q4_3 (removed from ggml)", 32, 24, nullptr},
}};

} // namespace

const GgmlTypeInfo *ggmlTypeInfo(uint32_t id)
{
    for (const auto &t : kTypes)
        if (t.id == id)
            return &t;
    return nullptr;
}

std::string ggmlTypeName(uint32_t id)
{
    const GgmlTypeInfo *t = ggmlTypeInfo(id);
    return t ? std::string(t->name) : "type " + std::to_string(id);
}

} // namespace smartbot::engine::gguf
