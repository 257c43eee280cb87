// The AVX512-BF16 bfloat16 kernel (see matmul.h): VDPBF16PS itself. This file alone is compiled with the
// AVX-512 flags (server/engine/CMakeLists.txt); it runs only where matmulRowsBf16() found AVX512-BF16.
//
// Tile: 6 weight rows x 4 sequences = 24 zmm accumulators, 6 + 4 operand loads per 32 columns for 24
// instructions of 32 products each. On a 2048x768 matrix at 64 sequences (one thread, Zen 5, alternated runs)
// 128-135 GMAC/s against 101-108 for the 4 x 3 tile this kernel had first; that one was 1.4-2x the float32 AVX2
// tile on Zen 4.
#include "kernels/matmul.h"

#if defined(__AVX512BF16__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>

#include "kernels/bf16_pair_tile.h"
#endif

namespace smartbot::engine::kernels {

#if defined(__AVX512BF16__) && defined(__AVX512BW__) && defined(__AVX512VL__)

namespace {

struct Avx512Bf16 {
    using Pairs = __m512bh;
    using Acc = __m512;
    static constexpr int kWidth = 32;
    static Acc zero() { return _mm512_setzero_ps(); }
    static Pairs load(const uint16_t *p) { return reinterpret_cast<__m512bh>(_mm512_loadu_si512(p)); }
    static Pairs loadTail(const uint16_t *p, int n)
    {
        return reinterpret_cast<__m512bh>(_mm512_maskz_loadu_epi16(__mmask32((uint64_t(1) << n) - 1), p));
    }
    static Acc dot(Acc acc, Pairs w, Pairs x) { return _mm512_dpbf16_ps(acc, w, x); }
    // Lane l with l + 8, then the AVX2 kernel's 8-lane order (matmul.h).
    static float reduce(Acc v)
    {
        // Halves through memory (once per output): GCC 12's extract and shuffle intrinsics trip -Wuninitialized.
        alignas(64) float lanes[16];
        _mm512_store_ps(lanes, v);
        const __m256 h = _mm256_add_ps(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8));
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        return _mm_cvtss_f32(s);
    }
};

} // namespace

void matmulRowsBf16Avx512(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                          int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    bf16PairRowsTiled<Avx512Bf16, 6, 4>(w, cols, x, xStride, B, y, yStride, rowBegin, rowEnd, accumulate);
}

#else
// Built without AVX512-BF16 (a compiler without it, or not x86-64): never chosen, but the symbol must exist.
void matmulRowsBf16Avx512(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                          int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    matmulRowsBf16Portable(w, cols, x, xStride, B, y, yStride, rowBegin, rowEnd, accumulate);
}
#endif

} // namespace smartbot::engine::kernels
