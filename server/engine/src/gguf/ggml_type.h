// GgmlType: the tensor types a GGUF file may name (ggml's numbering, which the format fixes), their block layouts,
// and conversion of a row of blocks to float32. Torch-free: the GGUF reader, the fuzz targets and the kernels'
// reference path use it.
//
// A quantized row of n values is n / blockSize blocks of blockBytes each, one after another; a block holds its own
// scale(s) and the packed integers, so any row (and any run of whole blocks) can be decoded without the others.
#pragma once

#include <cstdint>
#include <string>

namespace smartbot::engine::gguf {

enum class GgmlType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    BF16 = 30,
};

// Decodes `blocks` consecutive blocks at src into blocks * blockSize floats at dst.
using DequantizeFn = void (*)(const uint8_t *src, float *dst, int64_t blocks);

struct GgmlTypeInfo {
    uint32_t id;
    const char *name;
    int64_t blockSize;       // values per block (1 for plain floats)
    int64_t blockBytes;      // bytes per block
    DequantizeFn dequantize; // nullptr: known to the format but not supported here (refused at load, by name)
};

// The entry for a type id, or nullptr for an id this table does not know (every id ggml defines up to BF16 is
// named, so an error can say "IQ2_XXS" rather than "type 16").
const GgmlTypeInfo *ggmlTypeInfo(uint32_t id);
inline const GgmlTypeInfo *ggmlTypeInfo(GgmlType t)
{
    return ggmlTypeInfo(uint32_t(t));
}
std::string ggmlTypeName(uint32_t id); // "Q4_K", or "type 99" for an unknown id

// The eight 6-bit (scale, min) pairs of a Q4_K/Q5_K super-block, packed in 12 bytes: pairs 0..3 in the low six bits
// of bytes 0..3 (scales) and 4..7 (mins); pairs 4..7 take their low four bits from the nibbles of bytes 8..11 and
// their top two bits from the spare top bits of bytes 0..7. Inline: the decode kernels run it once per 256 weights.
inline void kQuantScalesMins(const uint8_t *packed, uint8_t scale[8], uint8_t min[8])
{
    for (int j = 0; j < 4; ++j) {
        scale[j] = packed[j] & 63;
        min[j] = packed[j + 4] & 63;
        scale[j + 4] = uint8_t((packed[j + 8] & 0xf) | ((packed[j] >> 6) << 4));
        min[j + 4] = uint8_t((packed[j + 8] >> 4) | ((packed[j + 4] >> 6) << 4));
    }
}

// IEEE half to float, exact (subnormals, infinities and NaN included).
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f); // round to nearest even
// The float16 stored at p (any alignment), as float.
inline float halfAt(const uint8_t *p)
{
    uint16_t h;
    __builtin_memcpy(&h, p, sizeof h);
    return halfToFloat(h);
}

} // namespace smartbot::engine::gguf
