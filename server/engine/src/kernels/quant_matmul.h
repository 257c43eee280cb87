// Matrix-times-batch kernels over quantized weights, read in their GGUF blocks (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K): no
// float copy of the weights exists anywhere. Y[b, r] (+)= dot(W[r, :], X[b, :]).
//
// As llama.cpp does, the activations are first quantized to 8 bits in blocks of 32 (Q8Activations: a float scale
// per block, the int8 values, and their sums per 16), so that each weight block meets its activations in exact
// integer arithmetic (int8 x int8 or uint8 x int8 products, summed in int32): the integer sum of a block is the
// same whatever instructions computed it. What is float is the combination of a block's integer sums with the
// weight's and the activation's scales; that is written once per block type (quant_block_math.h for one sequence,
// quant_tile_x86.h for 8 at once, the same expressions lane by lane) and compiled without FMA contraction in every
// translation unit, so the AVX2 and AVX512-VNNI kernels equal the portable one bit for bit, and every output is
// computed the same way whatever B is and whichever path (tile or row) it took (the determinism contract of matmul.h
// holds).
//
// Accuracy: each kernel computes the dequantized weights times the 8-bit activations to float32 rounding (measured
// 4e-8 relative, test_quant_matmul); the 8-bit activations themselves move the logits of llama.cpp's random-256
// files by 1.1e-2 to 1.5e-2 from their float64 references (test_gguf), as llama.cpp's own kernels do.
//
// Threading: the functions are pure; Q8Activations is filled by one thread and then read by any number.
#pragma once

#include <cstdint>
#include <vector>

namespace smartbot::engine::kernels {

struct Q8Activations {
    int64_t cols = 0, rows = 0; // cols: a multiple of 32
    std::vector<int8_t> q;      // rows x cols
    std::vector<float> d;       // rows x cols / 32: value = d x q
    std::vector<int32_t> sums;  // rows x cols / 16: the sum of q over each 16 values
    // Quantizes `rows` activation rows of `cols` floats, xStride apart: per block of 32, d = max|x| / 127 and
    // q = round(x / d) (ties to even).
    void quantize(const float *x, int64_t xStride, int64_t rows, int64_t cols);
    const int8_t *qRow(int64_t r) const { return q.data() + r * cols; }
    const float *dRow(int64_t r) const { return d.data() + r * (cols / 32); }
    const int32_t *sumRow(int64_t r) const { return sums.data() + r * (cols / 16); }

    // The same values for the batched kernels, in groups of 8 rows (rows 8g..8g+7; a last partial group is not
    // packed), laid out so that one 256-bit load gives 4 consecutive values of each of the 8 rows: for block J of
    // group g, step l < 8 holds values 32J + 4l .. +3 of row 8g + s at bytes 4s .. 4s+3. Filled by quantize() when
    // rows >= 8.
    std::vector<int8_t> packedQ;     // groups x cols x 8
    std::vector<float> packedD;      // groups x cols / 32 x 8: d of block J of each row of the group
    std::vector<int32_t> packedSums; // the same layout: the sum of the block's 32 values
    int64_t packedGroups() const { return rows / 8; }
    const int8_t *groupQ(int64_t g) const { return packedQ.data() + g * cols * 8; }
    const float *groupD(int64_t g) const { return packedD.data() + g * (cols / 32) * 8; }
    const int32_t *groupSums(int64_t g) const { return packedSums.data() + g * (cols / 32) * 8; }
};

// The activation quantizer's implementations (Q8Activations::quantize picks the AVX2 one where it runs; the two
// give the same bits): rows of cols floats, xStride apart, into q (rows x cols), d (rows x cols / 32) and sums
// (rows x cols / 16).
void quantizeActivationsPortable(const float *x, int64_t xStride, int64_t rows, int64_t cols, int8_t *q, float *d,
                                 int32_t *sums);
void quantizeActivationsAvx2(const float *x, int64_t xStride, int64_t rows, int64_t cols, int8_t *q, float *d,
                             int32_t *sums);

// Rows [rowBegin, rowEnd) of W (rowBytes apart, `x.cols` values each, in GGUF block layout of `type`, a GgmlType id)
// times every activation row of x, into y (rows of yStride); accumulate adds to y.
using QuantMatmulFn = void (*)(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                               int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);

// Whether these kernels read this GgmlType; the kernel for this CPU (chosen once) and its name.
bool quantKernelSupports(uint32_t type);
QuantMatmulFn quantMatmulRows();
const char *quantKernelName();

// The implementations, for tests that compare them; call the AVX2 one only where quantAvx2Available(), the
// AVX512-VNNI one where quantVnniAvailable(). The SIMD kernels take whole groups of 8 activation rows through
// register tiles (quant_tile_x86.h: one weight row's values broadcast 4 at a time against 8 sequences' packed
// activations, the integer sums of 8 sequences in one vector, no horizontal adds) and the rest one row at a time;
// both give the portable kernel's bits.
bool quantAvx2Available(); // AVX2, FMA and F16C
bool quantVnniAvailable(); // those and AVX512-VNNI with AVX512-VL (256-bit vpdpbusd)
void quantMatmulRowsPortable(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                             int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);
void quantMatmulRowsAvx2(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                         int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);
void quantMatmulRowsVnni(uint32_t type, const uint8_t *w, uint64_t rowBytes, const Q8Activations &x, float *y,
                         int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate);

} // namespace smartbot::engine::kernels
