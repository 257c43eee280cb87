// The float half of the quantized kernels (see quant_matmul.h): how each block type combines its exact integer sums
// with the scales, and the row loop. Included by quant_matmul.cpp (portable) and quant_matmul_avx2.cpp, both built
// with -ffp-contract=off, so that these expressions compile to the same float operations in both: an ISA supplies
// only the integer sums (Isa::q8_0, ...) and the half-to-float conversion (exact either way).
//
// Block layouts (GGUF): Q8_0 = f16 d, 32 x int8. Q4_0 = f16 d, 16 bytes of nibbles (value i low nibble of byte i,
// value 16 + i high nibble), offset 8. Q4_K = f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of
// nibbles (chunk c of 64 values: low nibbles of bytes 32c.. are sub-block 2c, high nibbles sub-block 2c + 1).
// Q5_K = Q4_K plus 32 bytes of fifth bits before the nibbles. Q6_K = 128 bytes of low nibbles, 64 of 2-bit high
// parts, 16 int8 scales (one per 16 values), f16 d; offset 32.
#pragma once

#include <cstdint>

#include "gguf/ggml_type.h"
#include "kernels/quant_matmul.h"

namespace smartbot::engine::kernels::quant {

constexpr int64_t kQ8_0Bytes = 34, kQ4_0Bytes = 18, kQ4_KBytes = 144, kQ5_KBytes = 176, kQ6_KBytes = 210;

// Each row dot below: w one weight row, xq/xd/xs the activation row's int8 values, block scales and sums per 16.
// Isa provides: half(p) -> float; kTerms(...) and q6Terms(...), the results of kTermsScalar and q6TermsScalar below
// (with its own instructions, by the same operations); and per block type the integer sums:
//   void q8_0x8(const uint8_t *blocks, const int8_t *x, int32_t out[8])  eight consecutive blocks: sum of w x each
//   void q4_0x8(const uint8_t *blocks, const int8_t *x, int32_t out[8])  the same, sum of (w - 8) x
//   int32_t q8_0(const uint8_t *qs, const int8_t *x), q4_0(...)         one block (past its scale)
//   void q4_k(const uint8_t *qs, const int8_t *x, int32_t out[8])  per sub-block of 32: sum of nibble x
//   void q5_k(const uint8_t *qh, const uint8_t *qs, const int8_t *x, int32_t out[8])
//   void q6_k(const uint8_t *block, const int8_t *x, int32_t out[16])  per 16 values: sum of (w - 32) x

// Q8_0 and Q4_0: value = d x q; a block adds (d_w d_x) isum. Eight blocks' sums are computed together (the SIMD
// kernel reduces them in one go), then added in block order.
template <class Isa, int64_t kBytes, void (*kSums8)(const uint8_t *, const int8_t *, int32_t *),
          int32_t (*kSum)(const uint8_t *, const int8_t *)>
float row32(const uint8_t *w, const int8_t *xq, const float *xd, int64_t cols)
{
    float acc = 0;
    const int64_t blocks = cols / 32;
    int64_t j = 0;
    for (; j + 8 <= blocks; j += 8) {
        int32_t isum[8];
        kSums8(w + j * kBytes, xq + 32 * j, isum);
        for (int k = 0; k < 8; ++k)
            acc += (Isa::half(w + (j + k) * kBytes) * xd[j + k]) * float(isum[k]);
    }
    for (; j < blocks; ++j)
        acc += (Isa::half(w + j * kBytes) * xd[j]) * float(kSum(w + j * kBytes + 2, xq + 32 * j));
    return acc;
}

template <class Isa> float rowQ8_0(const uint8_t *w, const int8_t *xq, const float *xd, const int32_t *, int64_t cols)
{
    return row32<Isa, kQ8_0Bytes, Isa::q8_0x8, Isa::q8_0>(w, xq, xd, cols);
}

template <class Isa> float rowQ4_0(const uint8_t *w, const int8_t *xq, const float *xd, const int32_t *, int64_t cols)
{
    return row32<Isa, kQ4_0Bytes, Isa::q4_0x8, Isa::q4_0>(w, xq, xd, cols);
}

// Q4_K and Q5_K: value = d x scale x q - dmin x min, so a sub-block j adds dx_j (d sc_j isum_j - dmin m_j xsum_j).
// The eight terms, one per sub-block; the SIMD kernels compute them eight lanes at a time with these very operations
// (Isa::kTerms), and the row adds them to its sum in sub-block order either way.
static inline void kTermsScalar(float d, float dmin, const uint8_t sc[8], const uint8_t m[8], const int32_t isum[8],
                                const float *xd, const int32_t *xs, float out[8])
{
    for (int j = 0; j < 8; ++j) {
        const int32_t xsum = xs[2 * j] + xs[2 * j + 1];
        out[j] = xd[j] * ((d * float(sc[j])) * float(isum[j]) - (dmin * float(m[j])) * float(xsum));
    }
}

// The K types' integer sums of one super-block: Q4_K reads nibbles (qs at byte 16), Q5_K fifth bits (at 16) then
// nibbles (at 48).
template <class Isa> void sumsQ4_K(const uint8_t *block, const int8_t *x, int32_t out[8])
{
    Isa::q4_k(block + 16, x, out);
}
template <class Isa> void sumsQ5_K(const uint8_t *block, const int8_t *x, int32_t out[8])
{
    Isa::q5_k(block + 16, block + 48, x, out);
}

template <class Isa, int64_t kBytes, void (*kSums)(const uint8_t *, const int8_t *, int32_t *)>
float rowK(const uint8_t *w, const int8_t *xq, const float *xd, const int32_t *xs, int64_t cols)
{
    float acc = 0;
    for (int64_t s = 0; s < cols / 256; ++s, w += kBytes) {
        uint8_t sc[8], m[8];
        gguf::kQuantScalesMins(w + 4, sc, m);
        int32_t isum[8];
        kSums(w, xq + 256 * s, isum);
        float terms[8];
        Isa::kTerms(Isa::half(w), Isa::half(w + 2), sc, m, isum, xd + 8 * s, xs + 16 * s, terms);
        for (int j = 0; j < 8; ++j)
            acc += terms[j];
    }
    return acc;
}

template <class Isa> float rowQ4_K(const uint8_t *w, const int8_t *xq, const float *xd, const int32_t *xs, int64_t cols)
{
    return rowK<Isa, kQ4_KBytes, sumsQ4_K<Isa>>(w, xq, xd, xs, cols);
}

template <class Isa> float rowQ5_K(const uint8_t *w, const int8_t *xq, const float *xd, const int32_t *xs, int64_t cols)
{
    return rowK<Isa, kQ5_KBytes, sumsQ5_K<Isa>>(w, xq, xd, xs, cols);
}

// Q6_K: value = d x scale_g x (q - 32) per group g of 16; the two groups of an activation block combine in int32
// (|scale x isum| < 2^23). The eight terms of a super-block, as kTermsScalar (Isa::q6Terms the same, eight lanes).
static inline void q6TermsScalar(float d, const int8_t sc[16], const int32_t isum[16], const float *xd, float out[8])
{
    for (int j = 0; j < 8; ++j)
        out[j] = (d * xd[j]) * float(sc[2 * j] * isum[2 * j] + sc[2 * j + 1] * isum[2 * j + 1]);
}

template <class Isa> float rowQ6_K(const uint8_t *w, const int8_t *xq, const float *xd, const int32_t *, int64_t cols)
{
    float acc = 0;
    for (int64_t s = 0; s < cols / 256; ++s, w += kQ6_KBytes) {
        const float d = Isa::half(w + 208);
        const auto *sc = reinterpret_cast<const int8_t *>(w + 192);
        int32_t isum[16];
        Isa::q6_k(w, xq + 256 * s, isum);
        float terms[8];
        Isa::q6Terms(d, sc, isum, xd + 8 * s, terms);
        for (int j = 0; j < 8; ++j)
            acc += terms[j];
    }
    return acc;
}

using RowDot = float (*)(const uint8_t *, const int8_t *, const float *, const int32_t *, int64_t);

template <class Isa> RowDot rowDotFor(uint32_t type)
{
    switch (gguf::GgmlType(type)) {
    case gguf::GgmlType::Q8_0:
        return rowQ8_0<Isa>;
    case gguf::GgmlType::Q4_0:
        return rowQ4_0<Isa>;
    case gguf::GgmlType::Q4_K:
        return rowQ4_K<Isa>;
    case gguf::GgmlType::Q5_K:
        return rowQ5_K<Isa>;
    case gguf::GgmlType::Q6_K:
        return rowQ6_K<Isa>;
    default:
        return nullptr;
    }
}

// Each weight row is read once per call and serves every activation row from seqBegin on while it sits in L1.
template <class Isa>
void matmulRows(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y, int64_t yStride,
                int64_t rowBegin, int64_t rowEnd, bool accumulate, int64_t seqBegin = 0)
{
    if (seqBegin >= x.rows)
        return;
    const RowDot dot = rowDotFor<Isa>(type);
    for (int64_t r = rowBegin; r < rowEnd; ++r) {
        const uint8_t *wr = w + uint64_t(r) * rowBytes;
        for (int64_t b = seqBegin; b < x.rows; ++b) {
            const float v = dot(wr, x.qRow(b), x.dRow(b), x.sumRow(b), x.cols);
            float &out = y[b * yStride + r];
            out = accumulate ? out + v : v;
        }
    }
}

} // namespace smartbot::engine::kernels::quant
