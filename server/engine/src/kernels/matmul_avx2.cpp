// The AVX2+FMA matmul kernel (see matmul.h). This file alone is compiled with -mavx2 -mfma
// (server/engine/CMakeLists.txt); it runs only where matmulRows() found those features.
//
// Tile: 4 weight rows x 3 sequences = 12 __m256 accumulators, plus 3 activation vectors and one weight vector:
// all 16 ymm registers. Per 8 columns it loads 4 + 3 vectors for 12 FMAs.
//
// The bfloat16 kernel emulates VDPBF16PS (matmul.h) with FMAs: 16 bfloat16 values loaded as 8 32-bit lanes hold
// columns 2l (low half) and 2l+1 (high half) in lane l; masking gives the odd columns as floats, a shift left by
// 16 the even ones (both exact). Lane l's FMA of an exact product rounds once, as the instruction's add does.
// An output's 16 lanes are two ymm accumulators (columns 0-15 and 16-31 of each chunk), so the tile is 2 x 2:
// 8 accumulators, 4 weight and 2 activation registers. (This path runs where AVX512-BF16 is missing; there,
// bfloat16 weights are computed in float32 unless dtype = bfloat16 is asked for.)
#include "kernels/matmul.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "kernels/bf16_pair_tile.h"
#include "kernels/matmul_tile.h"
#endif

namespace smartbot::engine::kernels {

#if defined(__AVX2__) && defined(__FMA__)

namespace {

struct Avx2 {
    using Reg = __m256;
    using Acc = __m256;
    using Pairs = __m256;
    static constexpr int kWidth = 8;
    static Reg zero() { return _mm256_setzero_ps(); }
    static Reg load(const float *p) { return _mm256_loadu_ps(p); }
    static Reg loadTail(const float *p, int n)
    {
        const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes));
    }
    static Acc dot(Acc acc, Reg w, Reg x) { return _mm256_fmadd_ps(w, x, acc); }
    // Lanes folded in one fixed order: (hi128 + lo128), then the upper pair onto the lower, then lane 1 onto 0.
    static float reduce(Reg v)
    {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        return _mm_cvtss_f32(s);
    }
};

// VDPBF16PS in AVX2 (see the top of the file).
struct Avx2Bf16Pairs {
    static constexpr int kWidth = 32;
    struct Pairs {
        __m256 odd[2], even[2]; // columns 2l+1 and 2l of the chunk's first 16 columns ([0]) and last 16 ([1])
    };
    struct Acc {
        __m256 lo, hi; // lanes 0-7 and 8-15
    };
    static Acc zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
    static Pairs load(const uint16_t *p)
    {
        const __m256i high = _mm256_set1_epi32(int(0xffff0000u));
        Pairs v;
        for (int h = 0; h < 2; ++h) {
            const __m256i u = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + 16 * h));
            v.odd[h] = _mm256_castsi256_ps(_mm256_and_si256(u, high));
            v.even[h] = _mm256_castsi256_ps(_mm256_slli_epi32(u, 16));
        }
        return v;
    }
    static Pairs loadTail(const uint16_t *p, int n)
    {
        alignas(32) uint16_t buf[32] = {};
        for (int i = 0; i < n; ++i)
            buf[i] = p[i];
        return load(buf);
    }
    static Acc dot(Acc a, const Pairs &w, const Pairs &x)
    {
        a.lo = _mm256_fmadd_ps(w.odd[0], x.odd[0], a.lo);
        a.lo = _mm256_fmadd_ps(w.even[0], x.even[0], a.lo);
        a.hi = _mm256_fmadd_ps(w.odd[1], x.odd[1], a.hi);
        a.hi = _mm256_fmadd_ps(w.even[1], x.even[1], a.hi);
        return a;
    }
    static float reduce(Acc a) { return Avx2::reduce(_mm256_add_ps(a.lo, a.hi)); }
};

} // namespace

void matmulRowsAvx2(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y, int64_t yStride,
                    int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    matmulRowsTiled<Avx2, 4, 3>(w, cols, x, xStride, B, y, yStride, rowBegin, rowEnd, accumulate);
}

void matmulRowsBf16Avx2(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                        int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    bf16PairRowsTiled<Avx2Bf16Pairs, 2, 2>(w, cols, x, xStride, B, y, yStride, rowBegin, rowEnd, accumulate);
}

#else
// Built without AVX2+FMA (not x86-64): never chosen, but the symbols must exist.
void matmulRowsBf16Avx2(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                        int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    matmulRowsBf16Portable(w, cols, x, xStride, B, y, yStride, rowBegin, rowEnd, accumulate);
}
void matmulRowsAvx2(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y, int64_t yStride,
                    int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    matmulRowsPortable(w, cols, x, xStride, B, y, yStride, rowBegin, rowEnd, accumulate);
}
#endif

} // namespace smartbot::engine::kernels
