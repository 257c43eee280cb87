// The batched quantized kernel for x86 (see quant_matmul.h): weight rows times groups of 8 activation rows. Included
// only by the SIMD translation units, built with -ffp-contract=off; Dot supplies the integer products:
//   __m256i Dot::prep(__m256i x)                      once per packed activation load
//   __m256i Dot::step(__m256i acc, __m256i x, w4)     acc lane s += the 4 products of w4's 4 int8 values (broadcast)
//                                                     and sequence s's 4 values in x's lane s
//   __m256i Dot::finish(__m256i acc, int32_t wsum)    the exact sums, given the sum of the weights stepped
//   float Dot::half(const uint8_t *p)                 a float16 scale (F16C)
//   void Dot::sums16(const int8_t *q, int64_t n, int32_t *out)  the weight sums finish() needs, per 16 values
//   void Dot::rowsFrom(...)                           the row-at-a-time kernel (quant_rows_x86.h) for the activation
//                                                     rows from seqBegin on (a last partial group, or all below 8)
//
// Why this layout: one weight row is unpacked once (quant_row_unpack.h) and 4 of its values at a time are broadcast
// to all 8 lanes; Q8Activations' packed layout puts 4 consecutive values of each of 8 sequences in those lanes. So
// one instruction (vpdpbusd) or three (vpmaddubsw + vpmaddwd + add) do 32 multiply-adds of 8 different
// (row, sequence) outputs, and 8 steps leave a block's exact integer sum for 8 sequences in one vector, where the
// row-at-a-time kernel needs a tree of horizontal adds per block per sequence. The float combination then runs on
// 8 sequences per instruction with the row dots' expressions (mul, mul, add in the same order, no FMA): the same
// bits as quant_block_math.h for every output.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/quant_matmul.h"
#include "kernels/quant_row_unpack.h"

namespace smartbot::engine::kernels::quant {

// The AVX2 file's row-at-a-time kernel (quant_rows_x86.h) for activation rows [seqBegin, x.rows): the VNNI kernel's
// rows too.
void matmulRowsAvx2From(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                        int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate, int64_t seqBegin);

// Everything below has internal linkage (static, or templates over the including file's own Dot types): each SIMD
// file gets its own copy built for its instruction set, never one the linker could share with another file.
static inline __m256i loadPacked(const int8_t *p)
{
    return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
}

static inline float halfF16c(const uint8_t *p)
{
    uint16_t h;
    __builtin_memcpy(&h, p, sizeof h);
    return _cvtsh_ss(h);
}

// The sum of each 16 of n int8 values (n a multiple of 32): vpsadbw of the values offset to unsigned adds 8 bytes
// per 64-bit lane.
static inline void sums16Sad(const int8_t *q, int64_t n, int32_t *out)
{
    const __m256i offset = _mm256_set1_epi8(char(0x80)), zero = _mm256_setzero_si256();
    for (int64_t i = 0; i < n; i += 32) {
        const __m256i sad = _mm256_sad_epu8(_mm256_xor_si256(loadPacked(q + i), offset), zero);
        alignas(32) int64_t lanes[4];
        _mm256_store_si256(reinterpret_cast<__m256i *>(lanes), sad);
        out[i / 16] = int32_t(lanes[0] + lanes[1]) - 16 * 128;
        out[i / 16 + 1] = int32_t(lanes[2] + lanes[3]) - 16 * 128;
    }
}

static inline __m256i broadcast4(const int8_t *w)
{
    int32_t v;
    __builtin_memcpy(&v, w, 4);
    return _mm256_set1_epi32(v);
}

// Rows [r0, r0 + R) of the unpacked rows times every packed group; y rows are sequences.
template <class Dot, Combine kCombine, int R>
void tileRows(const RowUnpack *rows, int64_t r0, const Q8Activations &x, float *y, int64_t yStride, bool accumulate)
{
    const int64_t blocks = x.cols / 32;
    for (int64_t g = 0; g < x.packedGroups(); ++g) {
        const int8_t *xq = x.groupQ(g);
        const float *xd = x.groupD(g);
        const int32_t *xs = x.groupSums(g);
        __m256 acc[R];
        for (int r = 0; r < R; ++r)
            acc[r] = _mm256_setzero_ps();
        for (int64_t j = 0; j < blocks; ++j) {
            __m256i xv[8];
            for (int l = 0; l < 8; ++l)
                xv[l] = Dot::prep(loadPacked(xq + 256 * j + 32 * l));
            const __m256 dx = _mm256_loadu_ps(xd + 8 * j);
            for (int r = 0; r < R; ++r) {
                const RowUnpack &u = rows[r];
                const int8_t *wq = u.q.data() + 32 * j;
                if constexpr (kCombine == Combine::Groups16) {
                    __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
                    for (int l = 0; l < 4; ++l) {
                        lo = Dot::step(lo, xv[l], wq + 4 * l);
                        hi = Dot::step(hi, xv[4 + l], wq + 16 + 4 * l);
                    }
                    lo = Dot::finish(lo, u.sum16[size_t(2 * j)]);
                    hi = Dot::finish(hi, u.sum16[size_t(2 * j + 1)]);
                    const __m256i isum =
                        _mm256_add_epi32(_mm256_mullo_epi32(_mm256_set1_epi32(u.c[size_t(2 * j)]), lo),
                                         _mm256_mullo_epi32(_mm256_set1_epi32(u.c[size_t(2 * j + 1)]), hi));
                    const __m256 t = _mm256_mul_ps(_mm256_set1_ps(u.a[size_t(j)]), dx);
                    acc[r] = _mm256_add_ps(acc[r], _mm256_mul_ps(t, _mm256_cvtepi32_ps(isum)));
                } else {
                    __m256i s = _mm256_setzero_si256();
                    for (int l = 0; l < 8; ++l)
                        s = Dot::step(s, xv[l], wq + 4 * l);
                    s = Dot::finish(s, u.sum16[size_t(2 * j)] + u.sum16[size_t(2 * j + 1)]);
                    const __m256 isum = _mm256_cvtepi32_ps(s);
                    if constexpr (kCombine == Combine::Scale32) {
                        const __m256 t = _mm256_mul_ps(_mm256_set1_ps(u.a[size_t(j)]), dx);
                        acc[r] = _mm256_add_ps(acc[r], _mm256_mul_ps(t, isum));
                    } else {
                        const __m256 xsum =
                            _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(xs + 8 * j)));
                        const __m256 inner = _mm256_sub_ps(_mm256_mul_ps(_mm256_set1_ps(u.a[size_t(j)]), isum),
                                                           _mm256_mul_ps(_mm256_set1_ps(u.b[size_t(j)]), xsum));
                        acc[r] = _mm256_add_ps(acc[r], _mm256_mul_ps(dx, inner));
                    }
                }
            }
        }
        for (int r = 0; r < R; ++r) {
            float out[8];
            _mm256_storeu_ps(out, acc[r]);
            for (int s = 0; s < 8; ++s) {
                float &dst = y[(8 * g + s) * yStride + r0 + r];
                dst = accumulate ? dst + out[s] : out[s];
            }
        }
    }
}

template <class Dot, Combine kCombine>
void tileAll(const RowUnpack *rows, int64_t r0, int n, const Q8Activations &x, float *y, int64_t yStride,
             bool accumulate)
{
    switch (n) {
    case 4:
        return tileRows<Dot, kCombine, 4>(rows, r0, x, y, yStride, accumulate);
    case 3:
        return tileRows<Dot, kCombine, 3>(rows, r0, x, y, yStride, accumulate);
    case 2:
        return tileRows<Dot, kCombine, 2>(rows, r0, x, y, yStride, accumulate);
    default:
        return tileRows<Dot, kCombine, 1>(rows, r0, x, y, yStride, accumulate);
    }
}

// Weight rows [rowBegin, rowEnd) times the packed groups of x (activation rows 0 .. 8 x packedGroups()); returns
// false, computing nothing, for a type the unpacker does not read. Rows go 4 at a time: each packed activation load
// serves 4 weight rows.
template <class Dot>
bool matmulGroups(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y, int64_t yStride,
                  int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    constexpr int kRows = 4;
    thread_local RowUnpack rows[kRows];
    for (int64_t r0 = rowBegin; r0 < rowEnd; r0 += kRows) {
        const int n = int(rowEnd - r0 < kRows ? rowEnd - r0 : kRows);
        Combine combine = Combine::Scale32;
        for (int r = 0; r < n; ++r)
            if (!rows[r].template unpack<Dot>(type, w + uint64_t(r0 + r) * rowBytes, x.cols, combine))
                return false;
        switch (combine) {
        case Combine::Scale32:
            tileAll<Dot, Combine::Scale32>(rows, r0, n, x, y, yStride, accumulate);
            break;
        case Combine::Min32:
            tileAll<Dot, Combine::Min32>(rows, r0, n, x, y, yStride, accumulate);
            break;
        case Combine::Groups16:
            tileAll<Dot, Combine::Groups16>(rows, r0, n, x, y, yStride, accumulate);
            break;
        }
    }
    return true;
}

// A SIMD kernel's entry: the packed groups of 8 through the tiles, the activation rows after them (or all, for a
// type the tiles do not read) one at a time.
template <class Dot>
void matmulBatched(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                   int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    int64_t seqBegin = 0;
    if (x.packedGroups() > 0 && matmulGroups<Dot>(type, w, rowBytes, x, y, yStride, rowBegin, rowEnd, accumulate))
        seqBegin = 8 * x.packedGroups();
    Dot::rowsFrom(type, w, rowBytes, x, y, yStride, rowBegin, rowEnd, accumulate, seqBegin);
}

} // namespace smartbot::engine::kernels::quant
