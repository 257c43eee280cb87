// The integer values of one quantized block in natural order, without its scales: the one place that knows how Q4_0,
// Q4_K, Q5_K and Q6_K pack their bits (layouts: quant_block_math.h). The dequantizer (ggml_type.cpp), the portable
// kernel (kernels/quant_matmul.cpp) and the SIMD kernels' row unpacker (kernels/quant_row_unpack.h) all read blocks
// through these, so a value is decoded the same way everywhere.
//
// static inline on purpose: the SIMD kernels' files are built with -mavx2 or -mavx512* and each needs a copy compiled
// for its own instructions (the Q4_K loop vectorised measured 7.7% of a 64-stream Q4_K_M decode less than the scalar
// one). A plain inline function is one weak symbol for the whole program, and the linker may keep the AVX-512 copy
// for every caller, which would then fault on an AVX2-only CPU; static gives each file its own.
#pragma once

#include <cstdint>

namespace smartbot::engine::gguf {

// Q4_0 (past its scale: 16 bytes): value i < 16 is the low nibble of byte i, value 16 + i its high nibble; minus 8.
static inline void q4_0Values(const uint8_t *qs, int8_t v[32])
{
    for (int i = 0; i < 16; ++i) {
        v[i] = int8_t((qs[i] & 0xf) - 8);
        v[16 + i] = int8_t((qs[i] >> 4) - 8);
    }
}

// Q4_K (the 128 bytes of nibbles): four chunks of 64 values, the low nibbles of 32 bytes then their high nibbles;
// 0..15.
static inline void q4_kValues(const uint8_t *qs, int8_t v[256])
{
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) {
            v[64 * c + l] = int8_t(qs[32 * c + l] & 0xf);
            v[64 * c + 32 + l] = int8_t(qs[32 * c + l] >> 4);
        }
}

// Q5_K (32 bytes of fifth bits qh, then 128 of nibbles qs): as Q4_K, plus 16 where bit 2c (low nibble) or 2c + 1
// (high nibble) of qh[l] is set; 0..31.
static inline void q5_kValues(const uint8_t *qh, const uint8_t *qs, int8_t v[256])
{
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) {
            v[64 * c + l] = int8_t((qs[32 * c + l] & 0xf) + ((qh[l] >> (2 * c)) & 1) * 16);
            v[64 * c + 32 + l] = int8_t((qs[32 * c + l] >> 4) + ((qh[l] >> (2 * c + 1)) & 1) * 16);
        }
}

// Q6_K (the whole block; 128 bytes of low nibbles ql, then 64 of 2-bit high parts qh): in each half h of 128 values,
// value l (l < 32) of its four quarters takes its low four bits from ql[l] low, ql[l + 32] low, ql[l] high,
// ql[l + 32] high and its top two bits from qh[l] bits 0-1, 2-3, 4-5, 6-7; minus 32.
static inline void q6_kValues(const uint8_t *block, int8_t v[256])
{
    for (int h = 0; h < 2; ++h) {
        const uint8_t *ql = block + 64 * h, *qh = block + 128 + 32 * h;
        int8_t *o = v + 128 * h;
        for (int l = 0; l < 32; ++l) {
            o[l] = int8_t(((ql[l] & 0xf) | ((qh[l] & 3) << 4)) - 32);
            o[32 + l] = int8_t(((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32);
            o[64 + l] = int8_t(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            o[96 + l] = int8_t(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
    }
}

} // namespace smartbot::engine::gguf
