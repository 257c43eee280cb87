// SafetensorsFile: a memory-mapped .safetensors file with a validated header. Torch-free.
// Every offset and shape is checked before any tensor data is touched.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/mapped_file.h"
#include "smartbot/engine/result.h"

namespace smartbot::engine {

enum class DType { F32, F16, BF16 };
const char *dtypeName(DType d);
size_t dtypeSize(DType d);

struct TensorView {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    const uint8_t *data = nullptr; // into the mapping
    uint64_t bytes = 0;
    // A GGUF tensor kept in its quantized blocks: ggmlType names the layout (gguf/ggml_type.h), rows are rowBytes
    // apart, and dtype is unused. Only gguf::loadModel makes such views.
    bool quantized = false;
    uint32_t ggmlType = 0;
    uint64_t rowBytes = 0;
    // Rows (a vector's values) in GGUF's interleaved-pair order over this many heads (q and k of GGUF llama files),
    // else 0: LlamaModel reads them in place and puts the products' values in Hugging Face order.
    int interleavedHeads = 0;
    int64_t numel() const;
};

class SafetensorsFile {
public:
    static Result<std::shared_ptr<SafetensorsFile>> open(const std::string &path);
    // Parses a header from memory (for tests of malformed input): the whole file's bytes.
    static Result<std::shared_ptr<SafetensorsFile>> fromMemory(std::vector<uint8_t> bytes);

    const std::map<std::string, TensorView> &tensors() const { return tensors_; }
    const TensorView *find(const std::string &name) const;
    const std::string &path() const { return path_; }

private:
    SafetensorsFile() = default;
    Result<void> parse();

    std::string path_;
    MappedFile file_;
    const uint8_t *base_ = nullptr; // file_'s bytes
    uint64_t size_ = 0;
    std::map<std::string, TensorView> tensors_;
};

} // namespace smartbot::engine
