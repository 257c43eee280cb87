#include "gguf/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace smartbot::engine::gguf {

namespace {

// float32 to bfloat16, rounded to nearest even as torch and ggml round it; a NaN stays a (quiet) NaN, where the
// rounding could carry its payload into the exponent and make it an infinity.
void putBf16(uint8_t *p, float v)
{
    uint32_t u;
    std::memcpy(&u, &v, sizeof u);
    const uint16_t b = (u & 0x7fffffffu) > 0x7f800000u ? uint16_t((u >> 16) | 0x40u)
                                                       : uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    std::memcpy(p, &b, sizeof b);
}

void putHalf(uint8_t *p, float v)
{
    const uint16_t h = floatToHalf(v);
    std::memcpy(p, &h, 2);
}

int nearest(float v)
{
    return int(std::nearbyint(v));
}

// Q8_0: d = max|x| / 127 (as float16), q = round(x / d).
void q8_0(const float *x, uint8_t *b)
{
    float amax = 0;
    for (int i = 0; i < 32; ++i)
        amax = std::max(amax, std::abs(x[i]));
    putHalf(b, amax / 127.0f);
    const float d = halfToFloat(floatToHalf(amax / 127.0f)), inv = d > 0 ? 1.0f / d : 0.0f;
    for (int i = 0; i < 32; ++i)
        b[2 + i] = uint8_t(int8_t(std::clamp(nearest(x[i] * inv), -127, 127)));
}

// Q4_0: the value of largest magnitude maps to -8 (its sign chosen so), d = that value / -8, q = round(x / d) + 8.
void q4_0(const float *x, uint8_t *b)
{
    float max = 0;
    for (int i = 0; i < 32; ++i)
        if (std::abs(x[i]) > std::abs(max))
            max = x[i];
    putHalf(b, max / -8.0f);
    const float d = halfToFloat(floatToHalf(max / -8.0f)), inv = d != 0 ? 1.0f / d : 0.0f;
    const auto q = [&](float v) { return uint8_t(std::clamp(nearest(v * inv) + 8, 0, 15)); };
    for (int i = 0; i < 16; ++i)
        b[2 + i] = uint8_t(q(x[i]) | (q(x[i + 16]) << 4));
}

// Q4_K: per sub-block of 32, value = scale x q - min with q in 0..15 (min >= 0: the sub-block's minimum, clipped at
// 0), scale = range / 15; the eight scales and mins are then quantized to 6 bits against the super-block's d and dmin.
void q4_k(const float *x, uint8_t *b)
{
    float scales[8], mins[8];
    for (int j = 0; j < 8; ++j) {
        const float *v = x + 32 * j;
        const float lo = std::min(0.0f, *std::min_element(v, v + 32)), hi = *std::max_element(v, v + 32);
        scales[j] = (hi - lo) / 15.0f;
        mins[j] = -lo;
    }
    const float maxScale = *std::max_element(scales, scales + 8), maxMin = *std::max_element(mins, mins + 8);
    putHalf(b, maxScale / 63.0f);
    putHalf(b + 2, maxMin / 63.0f);
    const float d = halfToFloat(floatToHalf(maxScale / 63.0f)), dmin = halfToFloat(floatToHalf(maxMin / 63.0f));
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) {
        sc[j] = uint8_t(d > 0 ? std::clamp(nearest(scales[j] / d), 0, 63) : 0);
        m[j] = uint8_t(dmin > 0 ? std::clamp(nearest(mins[j] / dmin), 0, 63) : 0);
    }
    // The packing kQuantScalesMins() reads back.
    uint8_t *packed = b + 4;
    for (int j = 0; j < 4; ++j) {
        packed[j] = uint8_t((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
        packed[j + 4] = uint8_t((m[j] & 63) | ((m[j + 4] >> 4) << 6));
        packed[j + 8] = uint8_t((sc[j + 4] & 0xf) | ((m[j + 4] & 0xf) << 4));
    }
    uint8_t q[256];
    for (int j = 0; j < 8; ++j) {
        const float step = d * float(sc[j]), offset = dmin * float(m[j]);
        for (int i = 0; i < 32; ++i)
            q[32 * j + i] = uint8_t(step > 0 ? std::clamp(nearest((x[32 * j + i] + offset) / step), 0, 15) : 0);
    }
    uint8_t *qs = b + 16;
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l)
            qs[32 * c + l] = uint8_t(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
}

// Q6_K: per group of 16, value = d x scale x (q - 32) with q in 0..63: the group's scale = max|x| / 31 as an int8
// against d = max scale / 127.
void q6_k(const float *x, uint8_t *b)
{
    float scales[16];
    for (int g = 0; g < 16; ++g) {
        float amax = 0;
        for (int i = 0; i < 16; ++i)
            amax = std::max(amax, std::abs(x[16 * g + i]));
        scales[g] = amax / 31.0f;
    }
    const float maxScale = *std::max_element(scales, scales + 16);
    putHalf(b + 208, maxScale / 127.0f);
    const float d = halfToFloat(floatToHalf(maxScale / 127.0f));
    auto *sc = reinterpret_cast<int8_t *>(b + 192);
    uint8_t q[256];
    for (int g = 0; g < 16; ++g) {
        sc[g] = int8_t(d > 0 ? std::clamp(nearest(scales[g] / d), 0, 127) : 0);
        const float step = d * float(sc[g]);
        for (int i = 0; i < 16; ++i)
            q[16 * g + i] = uint8_t(step > 0 ? std::clamp(nearest(x[16 * g + i] / step), -32, 31) + 32 : 32);
    }
    // The layout ggml_type.cpp's dequantizeQ6_K reads: per half, ql[l] holds values l (low) and 64 + l (high),
    // ql[32 + l] values 32 + l and 96 + l; qh[l] the top two bits of values l, 32 + l, 64 + l, 96 + l.
    for (int h = 0; h < 2; ++h) {
        uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
        const uint8_t *v = q + 128 * h;
        for (int l = 0; l < 32; ++l) {
            ql[l] = uint8_t((v[l] & 0xf) | ((v[l + 64] & 0xf) << 4));
            ql[l + 32] = uint8_t((v[l + 32] & 0xf) | ((v[l + 96] & 0xf) << 4));
            qh[l] = uint8_t((v[l] >> 4) | ((v[l + 32] >> 4) << 2) | ((v[l + 64] >> 4) << 4) | ((v[l + 96] >> 4) << 6));
        }
    }
}

using BlockFn = void (*)(const float *, uint8_t *);

struct Quantizer {
    GgmlType type;
    BlockFn block; // nullptr: a plain conversion per value
};
constexpr Quantizer kQuantizers[] = {
    {GgmlType::F32, nullptr}, {GgmlType::F16, nullptr}, {GgmlType::BF16, nullptr}, {GgmlType::Q8_0, q8_0},
    {GgmlType::Q4_0, q4_0},   {GgmlType::Q4_K, q4_k},   {GgmlType::Q6_K, q6_k},
};

const Quantizer *quantizer(GgmlType type)
{
    for (const auto &q : kQuantizers)
        if (q.type == type)
            return &q;
    return nullptr;
}

} // namespace

bool canQuantize(GgmlType type)
{
    return quantizer(type) != nullptr;
}

void quantizeRow(GgmlType type, const float *x, int64_t n, std::vector<uint8_t> &out)
{
    const GgmlTypeInfo &info = *ggmlTypeInfo(type);
    const size_t start = out.size();
    out.resize(start + size_t(n / info.blockSize * info.blockBytes));
    uint8_t *dst = out.data() + start;
    if (type == GgmlType::F32) {
        std::memcpy(dst, x, size_t(n) * 4);
    } else if (type == GgmlType::F16) {
        for (int64_t i = 0; i < n; ++i)
            putHalf(dst + 2 * i, x[i]);
    } else if (type == GgmlType::BF16) {
        for (int64_t i = 0; i < n; ++i)
            putBf16(dst + 2 * i, x[i]);
    } else {
        const BlockFn block = quantizer(type)->block;
        for (int64_t i = 0; i < n / info.blockSize; ++i)
            block(x + i * info.blockSize, dst + i * info.blockBytes);
    }
}

} // namespace smartbot::engine::gguf
