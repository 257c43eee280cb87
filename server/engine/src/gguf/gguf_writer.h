// GgufWriter: writes a GGUF version 3 file (metadata in the order set, then tensor infos, then the aligned data), as
// llama.cpp and the reader here read it. Used by `smartbotd model quantize` and by tests that need files with exact
// contents, well-formed or not.
//
// Threading: one thread per writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/ggml_type.h"
#include "smartbot/engine/result.h"

namespace smartbot::engine::gguf {

class Writer {
public:
    void setString(const std::string &key, const std::string &value);
    void setU32(const std::string &key, uint32_t value);
    void setI32(const std::string &key, int32_t value);
    void setF32(const std::string &key, float value);
    void setBool(const std::string &key, bool value);
    void setStrings(const std::string &key, const std::vector<std::string> &values);
    void setF32s(const std::string &key, const std::vector<float> &values);
    void setI32s(const std::string &key, const std::vector<int32_t> &values);
    // Any value as raw bytes after its type id (for tests that write malformed entries).
    void setRaw(const std::string &key, uint32_t typeId, std::vector<uint8_t> valueBytes);
    void setAlignment(uint32_t alignment); // also written as general.alignment when not 32

    // dims in ggml order (row length first); data holds the tensor's bytes in that type's layout.
    void addTensor(const std::string &name, GgmlType type, std::vector<int64_t> dims, std::vector<uint8_t> data);

    std::vector<uint8_t> bytes() const;
    Result<void> write(const std::string &path) const; // to path.tmp, then renamed over path

private:
    struct Entry {
        std::string key;
        uint32_t type;
        std::vector<uint8_t> value;
    };
    struct TensorEntry {
        std::string name;
        GgmlType type;
        std::vector<int64_t> dims;
        std::vector<uint8_t> data;
    };
    std::vector<Entry> metadata_;
    std::vector<TensorEntry> tensors_;
    uint32_t alignment_ = 32;
};

} // namespace smartbot::engine::gguf
