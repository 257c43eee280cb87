// The AVX2+FMA matmul kernel (see matmul.h). This file alone is compiled with -mavx2 -mfma
// (server/engine/CMakeLists.txt); it runs only where matmulRows() found those features.
//
// Tile: 4 weight rows x 3 sequences = 12 __m256 accumulators, plus 3 activation vectors and one weight vector:
// all 16 ymm registers. Per 8 columns it loads 4 + 3 vectors for 12 FMAs. The bfloat16-weight kernel uses the
// same tile and lane layout; its weight loads widen 8 bfloat16 to float (zero-extend to 32 bits, shift left 16:
// exact), in the register the weight vector occupies anyway.
#include "kernels/matmul.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "kernels/matmul_tile.h"
#endif

namespace smartbot::engine::kernels {

#if defined(__AVX2__) && defined(__FMA__)

namespace {

struct Avx2 {
    using Reg = __m256;
    static constexpr int kWidth = 8;
    static Reg zero() { return _mm256_setzero_ps(); }
    static Reg load(const float *p) { return _mm256_loadu_ps(p); }
    static Reg loadTail(const float *p, int n)
    {
        const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes));
    }
    static Reg load(const uint16_t *p)
    {
        const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
    // No 16-bit masked load in AVX2: the tail (once per row) goes through a zeroed buffer; zero bits widen to 0.0f.
    static Reg loadTail(const uint16_t *p, int n)
    {
        alignas(16) uint16_t buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int i = 0; i < n; ++i)
            buf[i] = p[i];
        return load(buf);
    }
    static Reg fma(Reg a, Reg b, Reg acc) { return _mm256_fmadd_ps(a, b, acc); }
    // Lanes folded in one fixed order: (hi128 + lo128), then the upper pair onto the lower, then lane 1 onto 0.
    static float reduce(Reg v)
    {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        return _mm_cvtss_f32(s);
    }
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
    matmulRowsTiled<Avx2, 4, 3>(w, cols, x, xStride, B, y, yStride, rowBegin, rowEnd, accumulate);
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
