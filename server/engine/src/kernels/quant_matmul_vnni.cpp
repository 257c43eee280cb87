// The AVX512-VNNI quantized kernel (see quant_matmul.h): the AVX2 kernel with the batched tiles' products done by
// 256-bit vpdpbusd (one instruction for 32 multiply-adds, against three); its rows one at a time are the AVX2 file's.
// This file alone is built with AVX512-F/VL/BW/VNNI (and -ffp-contract=off); it runs only where quantMatmulRows()
// found them.
//
// vpdpbusd multiplies unsigned bytes by signed bytes, so the activations go in offset by 128 (x + 128 is in 1..255,
// the activations being within +-127) and the block's sum loses 128 x (the sum of its weights), known per row from
// the unpacking: exact in int32, the same integer sums as the AVX2 and portable kernels.
#include "kernels/quant_matmul.h"

#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
#include <immintrin.h>

#include "kernels/quant_tile_x86.h"
#endif

namespace smartbot::engine::kernels {

#if defined(__AVX512VNNI__) && defined(__AVX512VL__)

namespace {

struct VnniDot {
    static float half(const uint8_t *p) { return quant::halfF16c(p); }
    static void sums16(const int8_t *q, int64_t n, int32_t *out) { quant::sums16Sad(q, n, out); }
    static __m256i prep(__m256i x) { return _mm256_xor_si256(x, _mm256_set1_epi8(char(0x80))); }
    static __m256i step(__m256i acc, __m256i x, const int8_t *w4)
    {
        return _mm256_dpbusd_epi32(acc, x, quant::broadcast4(w4));
    }
    static __m256i finish(__m256i acc, int32_t wsum) { return _mm256_sub_epi32(acc, _mm256_set1_epi32(128 * wsum)); }
    // The row kernel compiled in the AVX2 file: here vpdpbusd gained nothing on Q8_0 and Q4_K rows and this file's
    // build of the same code ran Q6_K rows (the output matrix of Q4_K_M files) 13% slower (bench_quant_kernel, one
    // thread: 14.4 against 16.0 GMAC/s).
    static void rowsFrom(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                         int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate, int64_t seqBegin)
    {
        quant::matmulRowsAvx2From(type, w, rowBytes, x, y, yStride, rowBegin, rowEnd, accumulate, seqBegin);
    }
};

} // namespace

void quantMatmulRowsVnni(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                         int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    quant::matmulBatched<VnniDot>(type, w, rowBytes, x, y, yStride, rowBegin, rowEnd, accumulate);
}

#else

void quantMatmulRowsVnni(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                         int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    quantMatmulRowsAvx2(type, w, rowBytes, x, y, yStride, rowBegin, rowEnd, accumulate);
}

#endif

} // namespace smartbot::engine::kernels
