// The row-at-a-time quantized kernel for x86 (see quant_matmul.h): one activation row at a time, the integer sums of
// each block from 256-bit byte products. Included only by the SIMD translation units, built with -ffp-contract=off;
// Prod supplies the products, eight int32 lanes of 4 byte products each:
//   __m256i Prod::dotSigned(__m256i a, __m256i b)    signed a times signed b
//   __m256i Prod::dotUnsigned(__m256i a, __m256i b)  unsigned a (at most 127) times signed b
// AVX2 does them with vpmaddubsw + vpmaddwd (quant_matmul_avx2.cpp; the VNNI kernel runs those rows too: a vpdpbusd
// Prod built in the VNNI file was no faster on Q8_0 and Q4_K rows and 13% slower on Q6_K). Whatever does them, the
// integer sums, and so the results, are the same bits (quant_block_math.h combines them).
//
// Everything here has internal linkage (static, or templates over the including file's own Prod type): each SIMD
// file gets its own copy built for its instruction set, never one the linker could share with another file.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/quant_block_math.h"

namespace smartbot::engine::kernels::quant {

static inline __m256i load(const void *p)
{
    return _mm256_loadu_si256(static_cast<const __m256i *>(p));
}

static inline int32_t hsum(__m128i s)
{
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

static inline int32_t hsum(__m256i v)
{
    return hsum(_mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
}

// The eight full sums of v[0..7] (eight int32 lanes each), in order: a tree of horizontal adds, 9 instructions for
// what one reduction per vector would take 48.
static inline void sums8(const __m256i v[8], int32_t out[8])
{
    const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
    const __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]), _mm256_hadd_epi32(v[6], v[7]));
    // a: low lane = the low halves' sums of v0..v3, high lane = their high halves'; b the same for v4..v7.
    const __m256i s = _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(out), s);
}

// The sums of each 128-bit half of v[0..3]: out = {v0 low, v1 low, v2 low, v3 low, v0 high, ..., v3 high}.
static inline void halfSums4(const __m256i v[4], int32_t out[8])
{
    const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(out), a);
}

static inline __m256i q4_0Values(const uint8_t *qs)
{
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i *>(qs));
    const __m128i m = _mm_set1_epi8(0x0f);
    const __m256i w = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
    return _mm256_sub_epi8(w, _mm256_set1_epi8(8));
}

template <class Prod> struct RowsX86 {
    static float half(const uint8_t *p)
    {
        uint16_t h;
        __builtin_memcpy(&h, p, sizeof h);
        return _cvtsh_ss(h);
    }
    // kTermsScalar eight lanes at once: the same conversions, products and difference in the same order.
    static void kTerms(float d, float dmin, const uint8_t sc[8], const uint8_t m[8], const int32_t isum[8],
                       const float *xd, const int32_t *xs, float out[8])
    {
        // xs holds sums per 16 values: hadd pairs them, its lanes come out as 0 1 4 5 2 3 6 7 and the permute
        // puts them in order.
        const __m256i pairs = _mm256_permute4x64_epi64(_mm256_hadd_epi32(load(xs), load(xs + 8)), 0xd8);
        const auto bytes8 = [](const uint8_t *p) {
            return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p))));
        };
        const __m256 a = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(d), bytes8(sc)), _mm256_cvtepi32_ps(load(isum)));
        const __m256 b = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(dmin), bytes8(m)), _mm256_cvtepi32_ps(pairs));
        _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_loadu_ps(xd), _mm256_sub_ps(a, b)));
    }
    // q6TermsScalar eight lanes at once. The scale x sum products and their pairs are taken in float: each is an
    // integer below 2^24 in magnitude (see above), so exact, the very values of the int32 sums.
    static void q6Terms(float d, const int8_t sc[16], const int32_t isum[16], const float *xd, float out[8])
    {
        const __m128i scales = _mm_loadu_si128(reinterpret_cast<const __m128i *>(sc));
        const __m256 lo =
            _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(scales)), _mm256_cvtepi32_ps(load(isum)));
        const __m256 hi = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(scales, 8))),
                                        _mm256_cvtepi32_ps(load(isum + 8)));
        // hadd's lanes come out as pairs 0 1 4 5 2 3 6 7; the permute puts them in order.
        const __m256 pairs = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_hadd_ps(lo, hi)), 0xd8));
        _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(d), _mm256_loadu_ps(xd)), pairs));
    }
    static int32_t q8_0(const uint8_t *block, const int8_t *x) { return hsum(Prod::dotSigned(load(block), load(x))); }
    static int32_t q4_0(const uint8_t *qs, const int8_t *x) { return hsum(Prod::dotSigned(q4_0Values(qs), load(x))); }
    static void q8_0x8(const uint8_t *blocks, const int8_t *x, int32_t out[8])
    {
        __m256i v[8];
        for (int k = 0; k < 8; ++k)
            v[k] = Prod::dotSigned(load(blocks + 34 * k + 2), load(x + 32 * k));
        sums8(v, out);
    }
    static void q4_0x8(const uint8_t *blocks, const int8_t *x, int32_t out[8])
    {
        __m256i v[8];
        for (int k = 0; k < 8; ++k)
            v[k] = Prod::dotSigned(q4_0Values(blocks + 18 * k + 2), load(x + 32 * k));
        sums8(v, out);
    }
    static void q4_k(const uint8_t *qs, const int8_t *x, int32_t out[8])
    {
        const __m256i m = _mm256_set1_epi8(0x0f);
        __m256i v[8];
        for (int c = 0; c < 4; ++c) {
            const __m256i b = load(qs + 32 * c);
            v[2 * c] = Prod::dotUnsigned(_mm256_and_si256(b, m), load(x + 64 * c));
            v[2 * c + 1] = Prod::dotUnsigned(_mm256_and_si256(_mm256_srli_epi16(b, 4), m), load(x + 64 * c + 32));
        }
        sums8(v, out);
    }
    static void q5_k(const uint8_t *qh, const uint8_t *qs, const int8_t *x, int32_t out[8])
    {
        const __m256i m = _mm256_set1_epi8(0x0f), sixteen = _mm256_set1_epi8(16);
        const __m256i high = load(qh);
        __m256i v[8];
        for (int c = 0; c < 4; ++c) {
            const __m256i b = load(qs + 32 * c);
            const __m256i bitLo = _mm256_set1_epi8(char(1u << (2 * c))), bitHi = _mm256_set1_epi8(char(2u << (2 * c)));
            const __m256i lo =
                _mm256_or_si256(_mm256_and_si256(b, m),
                                _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(high, bitLo), bitLo), sixteen));
            const __m256i hi =
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b, 4), m),
                                _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(high, bitHi), bitHi), sixteen));
            v[2 * c] = Prod::dotUnsigned(lo, load(x + 64 * c));
            v[2 * c + 1] = Prod::dotUnsigned(hi, load(x + 64 * c + 32));
        }
        sums8(v, out);
    }
    static void q6_k(const uint8_t *block, const int8_t *x, int32_t out[16])
    {
        const __m256i m4 = _mm256_set1_epi8(0x0f), offset = _mm256_set1_epi8(32);
        for (int h = 0; h < 2; ++h) {
            const __m256i ql0 = load(block + 64 * h), ql1 = load(block + 64 * h + 32);
            const __m256i qh = load(block + 128 + 32 * h);
            // Each shift stays inside its byte: the bits moved are masked to ones that cannot cross.
            const __m256i q[4] = {
                _mm256_or_si256(_mm256_and_si256(ql0, m4),
                                _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x03)), 4)),
                _mm256_or_si256(_mm256_and_si256(ql1, m4),
                                _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x0c)), 2)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                                _mm256_and_si256(qh, _mm256_set1_epi8(0x30))),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                                _mm256_srli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(char(0xc0))), 2)),
            };
            __m256i p[4];
            for (int k = 0; k < 4; ++k)
                p[k] = Prod::dotSigned(_mm256_sub_epi8(q[k], offset), load(x + 128 * h + 32 * k));
            // Quarter k's 32 values are groups 8h + 2k (low half) and 8h + 2k + 1 (high half).
            int32_t s[8];
            halfSums4(p, s);
            for (int k = 0; k < 4; ++k) {
                out[8 * h + 2 * k] = s[k];
                out[8 * h + 2 * k + 1] = s[4 + k];
            }
        }
    }
};

// Weight rows [rowBegin, rowEnd) times activation rows [seqBegin, x.rows), one activation row at a time.
template <class Prod>
void matmulRowsFrom(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                    int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate, int64_t seqBegin)
{
    matmulRows<RowsX86<Prod>>(type, w, rowBytes, x, y, yStride, rowBegin, rowEnd, accumulate, seqBegin);
}

} // namespace smartbot::engine::kernels::quant
