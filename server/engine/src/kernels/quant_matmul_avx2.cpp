// The AVX2 quantized kernel (see quant_matmul.h): the integer sums of each block with 256-bit byte products. This
// file alone is built with -mavx2 -mfma -mf16c and -ffp-contract=off; it runs only where quantMatmulRows() found
// those features. Products: a signed weight w times a signed activation x is |w| (unsigned) x sign(x, w) with
// vpmaddubsw, which adds byte pairs into int16 (at most 2 x 128 x 127: never saturates, the activations being within
// +-127), then vpmaddwd by 1 adds pairs into int32.
#include "kernels/quant_matmul.h"

#if defined(__AVX2__)
#include <immintrin.h>

#include "kernels/quant_rows_x86.h"
#include "kernels/quant_tile_x86.h"
#endif

namespace smartbot::engine::kernels {

#if defined(__AVX2__)

namespace {

struct Avx2Prod {
    // |a| x sign(b, a) with vpmaddubsw (byte pairs into int16: at most 2 x 128 x 127, never saturating, the
    // activations being within +-127), then vpmaddwd by 1 (pairs into int32).
    static __m256i dotSigned(__m256i a, __m256i b)
    {
        return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a)),
                                 _mm256_set1_epi16(1));
    }
    static __m256i dotUnsigned(__m256i a, __m256i b)
    {
        return _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1));
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
    static void rowsFrom(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                         int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate, int64_t seqBegin)
    {
        quant::matmulRowsFrom<Avx2Prod>(type, w, rowBytes, x, y, yStride, rowBegin, rowEnd, accumulate, seqBegin);
    }
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
            sums[r * cols / 16 + 2 * j] = quant::hsum(_mm256_add_epi32(iq[0], iq[1]));
            sums[r * cols / 16 + 2 * j + 1] = quant::hsum(_mm256_add_epi32(iq[2], iq[3]));
        }
    }
}

void quant::matmulRowsAvx2From(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                               int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate, int64_t seqBegin)
{
    quant::matmulRowsFrom<Avx2Prod>(type, w, rowBytes, x, y, yStride, rowBegin, rowEnd, accumulate, seqBegin);
}

void quantMatmulRowsAvx2(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                         int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    quant::matmulBatched<Avx2Dot>(type, w, rowBytes, x, y, yStride, rowBegin, rowEnd, accumulate);
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
