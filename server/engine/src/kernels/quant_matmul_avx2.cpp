// The AVX2 quantized kernel (see quant_matmul.h): the integer sums of each block with 256-bit byte products. This
// file alone is built with -mavx2 -mfma -mf16c and -ffp-contract=off; it runs only where quantMatmulRows() found
// those features. Products: a signed weight w times a signed activation x is |w| (unsigned) x sign(x, w) with
// vpmaddubsw, which adds byte pairs into int16 (at most 2 x 128 x 127: never saturates, the activations being within
// +-127), then vpmaddwd by 1 adds pairs into int32.
#include "kernels/quant_matmul.h"

#if defined(__AVX2__)
#include <immintrin.h>

#include "kernels/quant_block_math.h"
#include "kernels/quant_tile_x86.h"
#endif

namespace smartbot::engine::kernels {

#if defined(__AVX2__)

namespace {

inline __m256i load(const void *p)
{
    return _mm256_loadu_si256(static_cast<const __m256i *>(p));
}

// Eight int32 sums of 4 products each: signed a times signed b.
inline __m256i dotSigned(__m256i a, __m256i b)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a)),
                             _mm256_set1_epi16(1));
}

// The same with a unsigned (at most 127).
inline __m256i dotUnsigned(__m256i a, __m256i b)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1));
}

inline int32_t hsum(__m128i s)
{
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

inline int32_t hsum(__m256i v)
{
    return hsum(_mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
}

// The eight full sums of v[0..7] (eight int32 lanes each), in order: a tree of horizontal adds, 9 instructions for
// what one reduction per vector would take 48.
inline void sums8(const __m256i v[8], int32_t out[8])
{
    const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
    const __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]), _mm256_hadd_epi32(v[6], v[7]));
    // a: low lane = the low halves' sums of v0..v3, high lane = their high halves'; b the same for v4..v7.
    const __m256i s = _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(out), s);
}

// The sums of each 128-bit half of v[0..3]: out = {v0 low, v1 low, v2 low, v3 low, v0 high, ..., v3 high}.
inline void halfSums4(const __m256i v[4], int32_t out[8])
{
    const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(out), a);
}

inline __m256i q4_0Values(const uint8_t *qs)
{
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i *>(qs));
    const __m128i m = _mm_set1_epi8(0x0f);
    const __m256i w = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
    return _mm256_sub_epi8(w, _mm256_set1_epi8(8));
}

struct Avx2 {
    static float half(const uint8_t *p)
    {
        uint16_t h;
        __builtin_memcpy(&h, p, sizeof h);
        return _cvtsh_ss(h);
    }
    static int32_t q8_0(const uint8_t *block, const int8_t *x) { return hsum(dotSigned(load(block), load(x))); }
    static int32_t q4_0(const uint8_t *qs, const int8_t *x) { return hsum(dotSigned(q4_0Values(qs), load(x))); }
    static void q8_0x8(const uint8_t *blocks, const int8_t *x, int32_t out[8])
    {
        __m256i v[8];
        for (int k = 0; k < 8; ++k)
            v[k] = dotSigned(load(blocks + 34 * k + 2), load(x + 32 * k));
        sums8(v, out);
    }
    static void q4_0x8(const uint8_t *blocks, const int8_t *x, int32_t out[8])
    {
        __m256i v[8];
        for (int k = 0; k < 8; ++k)
            v[k] = dotSigned(q4_0Values(blocks + 18 * k + 2), load(x + 32 * k));
        sums8(v, out);
    }
    static void q4_k(const uint8_t *qs, const int8_t *x, int32_t out[8])
    {
        const __m256i m = _mm256_set1_epi8(0x0f);
        __m256i v[8];
        for (int c = 0; c < 4; ++c) {
            const __m256i b = load(qs + 32 * c);
            v[2 * c] = dotUnsigned(_mm256_and_si256(b, m), load(x + 64 * c));
            v[2 * c + 1] = dotUnsigned(_mm256_and_si256(_mm256_srli_epi16(b, 4), m), load(x + 64 * c + 32));
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
            v[2 * c] = dotUnsigned(lo, load(x + 64 * c));
            v[2 * c + 1] = dotUnsigned(hi, load(x + 64 * c + 32));
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
                p[k] = dotSigned(_mm256_sub_epi8(q[k], offset), load(x + 128 * h + 32 * k));
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

// The batched tiles' products (quant_tile_x86.h) with the same sign trick: |w| x sign(x, w), pairs into int16,
// then pairs into int32.
struct Avx2Dot {
    static float half(const uint8_t *p) { return quant::halfF16c(p); }
    static void sums16(const int8_t *, int64_t, int32_t *) {} // finish() needs no weight sums
    static __m256i prep(__m256i x) { return x; }
    static __m256i step(__m256i acc, __m256i x, const int8_t *w4)
    {
        const __m256i w = quant::broadcast4(w4);
        return _mm256_add_epi32(acc,
                                _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w)),
                                                  _mm256_set1_epi16(1)));
    }
    static __m256i finish(__m256i acc, int32_t) { return acc; }
};

} // namespace

// The portable quantizer's operations on 8 lanes: the same maximum, the same scalar scale and inverse, the product
// rounded to nearest-even (std::nearbyint in the default rounding mode) and clamped.
void quantizeActivationsAvx2(const float *x, int64_t xStride, int64_t rows, int64_t cols, int8_t *q, float *d,
                             int32_t *sums)
{
    const int64_t blocks = cols / 32;
    const __m256 absMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256i lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
    for (int64_t r = 0; r < rows; ++r) {
        const float *xr = x + r * xStride;
        for (int64_t j = 0; j < blocks; ++j) {
            __m256 v[4];
            __m256 m = _mm256_setzero_ps();
            for (int k = 0; k < 4; ++k) {
                v[k] = _mm256_loadu_ps(xr + 32 * j + 8 * k);
                // maxps returns its second operand when either is NaN: m second, so a NaN is skipped as
                // std::max(amax, |x|) skips it.
                m = _mm256_max_ps(_mm256_and_ps(v[k], absMask), m);
            }
            __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
            m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
            m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
            const float amax = _mm_cvtss_f32(m4);
            const float scale = amax / 127.0f, inv = amax > 0 ? 127.0f / amax : 0.0f;
            d[r * blocks + j] = scale;
            const __m256 iv = _mm256_set1_ps(inv);
            __m256i iq[4];
            for (int k = 0; k < 4; ++k) {
                const __m256 rounded =
                    _mm256_round_ps(_mm256_mul_ps(v[k], iv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                iq[k] = _mm256_min_epi32(_mm256_max_epi32(_mm256_cvtps_epi32(rounded), lo), hi);
            }
            // Packing interleaves 128-bit lanes; the permutation puts the 32 bytes back in order.
            const __m256i packed =
                _mm256_packs_epi16(_mm256_packs_epi32(iq[0], iq[1]), _mm256_packs_epi32(iq[2], iq[3]));
            _mm256_storeu_si256(reinterpret_cast<__m256i *>(q + r * cols + 32 * j),
                                _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
            sums[r * cols / 16 + 2 * j] = hsum(_mm256_add_epi32(iq[0], iq[1]));
            sums[r * cols / 16 + 2 * j + 1] = hsum(_mm256_add_epi32(iq[2], iq[3]));
        }
    }
}

void quantMatmulRowsAvx2(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                         int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    quant::matmulBatched<Avx2Dot>(type, w, rowBytes, x, y, yStride, rowBegin, rowEnd, accumulate);
}

void quant::matmulRowsAvx2From(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                               int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate, int64_t seqBegin)
{
    quant::matmulRows<Avx2>(type, w, rowBytes, x, y, yStride, rowBegin, rowEnd, accumulate, seqBegin);
}

#else

void quantizeActivationsAvx2(const float *x, int64_t xStride, int64_t rows, int64_t cols, int8_t *q, float *d,
                             int32_t *sums)
{
    quantizeActivationsPortable(x, xStride, rows, cols, q, d, sums);
}

void quantMatmulRowsAvx2(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                         int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    quantMatmulRowsPortable(type, w, rowBytes, x, y, yStride, rowBegin, rowEnd, accumulate);
}

#endif

} // namespace smartbot::engine::kernels
