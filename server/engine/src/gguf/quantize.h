// Quantizers: float32 rows to GGUF blocks of Q8_0, Q4_0, Q4_K and Q6_K (the types `smartbotd model quantize`
// writes), the inverse of ggml_type.cpp's decoders. Each block is quantized on its own (round to nearest, scales from
// the block's range: no search), so the error is bounded per block: test_gguf_quantize measures it.
// Torch-free; the functions are pure.
#pragma once

#include <cstdint>
#include <vector>

#include "gguf/ggml_type.h"

namespace smartbot::engine::gguf {

// Whether quantizeRow() writes this type (also F32 and F16, which are plain conversions).
bool canQuantize(GgmlType type);
// n values (a multiple of the type's block size) into n / blockSize blocks appended to out: one row, or several
// whose lengths are each a multiple of it.
void quantizeRow(GgmlType type, const float *x, int64_t n, std::vector<uint8_t> &out);

} // namespace smartbot::engine::gguf
