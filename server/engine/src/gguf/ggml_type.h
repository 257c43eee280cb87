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

// The (scale, min) pair j (0..7) of a Q4_K/Q5_K super-block from its 12 packed bytes.
void kQuantScaleMin(const uint8_t *packed, int j, uint8_t &scale, uint8_t &min);

// IEEE half to float, exact (subnormals, infinities and NaN included).
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f); // round to nearest even

} // namespace smartbot::engine::gguf
