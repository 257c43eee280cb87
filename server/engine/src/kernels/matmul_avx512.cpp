// The AVX-512 float32 kernel (see matmul.h): the AVX2 kernel's bits, twice the products per instruction. This file
// alone is compiled with the AVX-512 flags (server/engine/CMakeLists.txt); it runs only where matmulRows() found
// AVX512F/DQ/VL.
//
// An AVX2 output is one 8-lane accumulator (column c into lane c mod 8, one FMA per 8 columns, then a fixed lane
// order). Here a zmm register holds two such accumulators side by side: the outputs of one weight row for two
// sequences. The row's 8 columns are broadcast to both halves (vbroadcastf32x8, a load), and the two sequences'
// columns come from f32PairActivations' interleaved copy (one load), so every lane sees the AVX2 kernel's FMAs in
// its order and each half is reduced as Avx2::reduce does: same bits, so a process answers the same whichever of
// the two kernels its CPU picks.
//
// Tile: 6 weight rows x 4 sequence pairs = 24 zmm accumulators, 4 activation registers, 1 weight register. Per 8
// columns: 6 + 4 loads for 24 FMAs of 16 products (the AVX2 tile: 7 loads for 12 FMAs of 8). Below kSeqs
// sequences the AVX2 kernel runs (same bits): measured faster there, 3 to 7 sequences on the seed model's matrices
// and the 768x12 model's (one thread: 172x64 at 6 sequences 30 against 25 GMAC/s, 2048x768 at 7, 44 against 35).
#include "kernels/matmul.h"

#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
#include <immintrin.h>

#include "kernels/matmul_tile.h"
#endif

namespace smartbot::engine::kernels {

#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512VL__)

namespace {

constexpr int kRows = 6, kPairs = 4, kSeqs = 2 * kPairs;

// vbroadcastf32x8. Through the zero-masked intrinsic with every lane selected: GCC 12's unmasked one trips
// -Wmaybe-uninitialized (its _mm512_undefined_ps); the all-ones mask compiles to the plain instruction.
__m512 broadcast8(__m256 v)
{
    return _mm512_maskz_broadcast_f32x8(__mmask16(0xffff), v);
}

// Avx2::reduce's order on 8 lanes.
float reduce8(const float *lanes)
{
    const __m256 v = _mm256_load_ps(lanes);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

// vshuff32x4 (128-bit blocks of a and b), zero-masked with every lane selected for the reason broadcast8 gives.
template <int kImm> __m512 blocks(__m512 a, __m512 b)
{
    return _mm512_maskz_shuffle_f32x4(__mmask16(0xffff), a, b, kImm);
}

// reduce8 on both halves of eight accumulators z[0..7] at once, by whole-register shuffles and adds, each add
// pairing the lanes reduce8 pairs, with the same operand first: on a 64-column row the reductions one by one cost
// more than the FMAs. sums[4b + j] is half b % 2 of z[2j + b / 2].
void reduce8x8(const __m512 *z, float *sums)
{
    __m512 u[4]; // lanes i + (i + 4) of each half: block 0 and 1 the halves of z[2j], blocks 2 and 3 those of z[2j+1]
    for (int j = 0; j < 4; ++j)
        u[j] = _mm512_add_ps(blocks<0x88>(z[2 * j], z[2 * j + 1]), blocks<0xdd>(z[2 * j], z[2 * j + 1]));
    __m512 t[2]; // then lane 0 + 2 and 1 + 3 of each block: per block [u[2m] 0+2, 1+3, u[2m+1] 0+2, 1+3]
    for (int m = 0; m < 2; ++m)
        t[m] = _mm512_add_ps(_mm512_shuffle_ps(u[2 * m], u[2 * m + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(u[2 * m], u[2 * m + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    // then the two: per block [u[0], u[1], u[2], u[3]]
    _mm512_store_ps(sums, _mm512_add_ps(_mm512_shuffle_ps(t[0], t[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                        _mm512_shuffle_ps(t[0], t[1], _MM_SHUFFLE(3, 1, 3, 1))));
}

using PairTileFn = void (*)(const float *w, int64_t cols, const float *xp, int64_t pairStride, float *out,
                            int outStride);

// R rows x P sequence pairs: out[r * outStride + 2p + h] is row r for sequence h of pair p.
template <int R, int P>
void pairTile(const float *w, int64_t cols, const float *xp, int64_t pairStride, float *out, int outStride)
{
    __m512 acc[R][P];
    for (int r = 0; r < R; ++r)
        for (int p = 0; p < P; ++p)
            acc[r][p] = _mm512_setzero_ps();
    const int64_t full = cols / 8;
    for (int64_t c = 0; c < full; ++c) {
        __m512 xv[P];
        for (int p = 0; p < P; ++p)
            xv[p] = _mm512_loadu_ps(xp + p * pairStride + 16 * c);
        for (int r = 0; r < R; ++r) {
            const __m512 wv = broadcast8(_mm256_loadu_ps(w + r * cols + 8 * c));
            for (int p = 0; p < P; ++p)
                acc[r][p] = _mm512_fmadd_ps(wv, xv[p], acc[r][p]);
        }
    }
    if (const int n = int(cols - 8 * full)) {
        // As Avx2::loadTail: the missing columns read as zeros in both operands (the padded copy has them).
        const __mmask8 mask = __mmask8((1u << n) - 1);
        __m512 xv[P];
        for (int p = 0; p < P; ++p)
            xv[p] = _mm512_loadu_ps(xp + p * pairStride + 16 * full);
        for (int r = 0; r < R; ++r) {
            const __m512 wv = broadcast8(_mm256_maskz_loadu_ps(mask, w + r * cols + 8 * full));
            for (int p = 0; p < P; ++p)
                acc[r][p] = _mm512_fmadd_ps(wv, xv[p], acc[r][p]);
        }
    }
    // Accumulator k = r * P + p; eight at a time (16 outputs) through reduce8x8, the rest one by one.
    const __m512 *flat = &acc[0][0];
    const auto put = [&](int k, int h, float v) { out[k / P * outStride + 2 * (k % P) + h] = v; };
    int k = 0;
    for (; k + 8 <= R * P; k += 8) {
        alignas(64) float sums[16];
        reduce8x8(flat + k, sums);
        for (int i = 0; i < 16; ++i)
            put(k + 2 * (i % 4) + i / 8, i / 4 % 2, sums[i]);
    }
    for (; k < R * P; ++k) {
        // Halves through memory: GCC 12's extract intrinsics trip -Wuninitialized.
        alignas(64) float lanes[16];
        _mm512_store_ps(lanes, flat[k]);
        put(k, 0, reduce8(lanes));
        put(k, 1, reduce8(lanes + 8));
    }
}

struct PairTiles {
    using Fn = PairTileFn;
    template <int R, int P> static constexpr Fn tile = pairTile<R, P>;
};

} // namespace

void matmulRowsAvx512(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                      int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    if (B < kSeqs) {
        matmulRowsAvx2(w, cols, x, xStride, B, y, yStride, rowBegin, rowEnd, accumulate);
        return;
    }
    static const ShapeTable<PairTiles, kRows, kPairs> tiles;
    const float *xp = f32PairActivations(x, xStride, B, cols);
    const int64_t pairStride = f32PairStride(cols);
    forEachTile<kRows, kSeqs>(
        rowBegin, rowEnd, B, y, yStride, accumulate, [&](int64_t r0, int R, int64_t b0, int S, float *out) {
            tiles.fn[R - 1][(S + 1) / 2 - 1](w + r0 * cols, cols, xp + b0 / 2 * pairStride, pairStride, out, kSeqs);
        });
}

#else
// Built without AVX-512 (not x86-64): never chosen, but the symbol must exist.
void matmulRowsAvx512(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                      int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    matmulRowsAvx2(w, cols, x, xStride, B, y, yStride, rowBegin, rowEnd, accumulate);
}
#endif

} // namespace smartbot::engine::kernels
