// Weight: one weight matrix of the forward pass: a torch tensor in the compute dtype on the device, or (on the CPU)
// quantized blocks read through kernels/quant_matmul.h — a GGUF model's in place from the mapping, so that no float
// copy of a quantized model exists, or blocks made at load from float weights ([model] quantize).
//
// Threading: immutable after load; apply() and matmul() may run on any number of threads at once (they split their
// rows over the intra-op pool themselves).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "kernels/quant_matmul.h"

namespace smartbot::engine {

struct Weight {
    torch::Tensor dense; // [rows, cols]; undefined when quantized
    const uint8_t *blocks = nullptr;
    uint32_t type = 0; // GgmlType of the blocks
    uint64_t rowBytes = 0;
    int64_t rows = 0, cols = 0;
    // The blocks' memory when they were made at load ([model] quantize) rather than read from a mapped file.
    std::shared_ptr<const std::vector<uint8_t>> owned;

    bool quantized() const { return blocks != nullptr; }
    int64_t bytes() const; // held in memory: the blocks, or the dense tensor's
    // A dense float matrix quantized to `type` (rows whole blocks of it), rows spread over the intra-op threads.
    static Weight quantize(const torch::Tensor &dense, uint32_t type);
    // x [n, cols] -> x W^T [n, rows] (+ bias): torch::linear; for quantized blocks (float32 on the CPU), x quantized
    // to 8 bits and the quantized kernel, for a decode step and a prefill alike.
    torch::Tensor apply(const torch::Tensor &x, const torch::Tensor &bias = {}) const;
    // The rows named by ids (an embedding lookup) in `dtype`: index_select, or the rows' blocks decoded.
    torch::Tensor select(const torch::Tensor &ids, torch::ScalarType dtype) const;
    // Decodes row r of quantized blocks into cols floats.
    void decodeRow(int64_t r, float *out) const;
    // Y[b, :rows] (+)= W X[b]^T for b < x.rows over quantized blocks, rows split over the intra-op threads (how
    // they are split never changes a value).
    void matmul(const kernels::Q8Activations &x, float *y, int64_t yStride, bool accumulate) const;
};

} // namespace smartbot::engine
