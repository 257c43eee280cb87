// GgufFile: a memory-mapped GGUF file (versions 2 and 3, little-endian) with its metadata and tensor table
// validated: every length, count, dimension and offset is checked against the file before anything is read, so a
// truncated or hostile file gives an error naming what is wrong, never a read outside the mapping or a huge
// allocation. Tensor data stays in the mapping (no copy); a tensor of a type this build cannot decode still parses,
// so that the loader can refuse it by name. Torch-free.
//
// Threading: immutable after open(); any number of threads may read it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gguf/ggml_type.h"
#include "model/mapped_file.h"
#include "smartbot/engine/result.h"

namespace smartbot::engine::gguf {

// Metadata value types, numbered as the format numbers them.
enum class ValueType : uint32_t {
    U8 = 0,
    I8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    F32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    U64 = 10,
    I64 = 11,
    F64 = 12,
};
const char *valueTypeName(ValueType t);

struct Value {
    ValueType type = ValueType::U8;
    ValueType elementType = ValueType::U8; // for arrays
    nlohmann::json value;                  // numbers, bools, strings (bytes as read), arrays of them
};

struct Tensor {
    std::string name;
    uint32_t type = 0;         // a GgmlType id
    std::vector<int64_t> dims; // ggml order: dims[0] is the row length (the fastest-moving index)
    uint64_t offset = 0;       // from the start of the data section
    const uint8_t *data = nullptr;
    uint64_t bytes = 0;
    int64_t elements() const;
    int64_t rows() const { return dims.empty() ? 0 : elements() / dims[0]; }
    uint64_t rowBytes() const; // bytes of one row of dims[0] values
};

class File {
public:
    static Result<std::shared_ptr<File>> open(const std::string &path);
    // The whole file's bytes (for tests of malformed input and the fuzz target).
    static Result<std::shared_ptr<File>> fromMemory(std::vector<uint8_t> bytes);
    File(const File &) = delete;
    File &operator=(const File &) = delete;

    uint32_t version() const { return version_; }
    uint64_t alignment() const { return alignment_; }
    const std::string &path() const { return path_; }
    const std::map<std::string, Value> &metadata() const { return metadata_; }
    const std::vector<Tensor> &tensors() const { return tensors_; }
    const Value *find(const std::string &key) const;
    const Tensor *tensor(const std::string &name) const;

    // Typed look-ups: an error names the key and the type found when it is present with another type; a missing
    // key is an error for the required forms and `fallback` for the others.
    Result<std::string> string(const std::string &key) const;
    Result<std::string> string(const std::string &key, const std::string &fallback) const;
    Result<int64_t> integer(const std::string &key) const; // any integer type
    Result<int64_t> integer(const std::string &key, int64_t fallback) const;
    Result<double> number(const std::string &key, double fallback) const; // any integer or float type
    Result<bool> boolean(const std::string &key, bool fallback) const;
    // An array of the given element kind ("string", "number" or "integer") as JSON; missing: null.
    Result<nlohmann::json> array(const std::string &key, const std::string &elementKind) const;

private:
    File() = default;
    Result<void> parse();

    std::string path_;
    MappedFile file_;
    const uint8_t *base_ = nullptr; // file_'s bytes
    uint64_t size_ = 0;
    uint32_t version_ = 0;
    uint64_t alignment_ = 32;
    std::map<std::string, Value> metadata_;
    std::vector<Tensor> tensors_;
    std::map<std::string, size_t> tensorIndex_;
};

} // namespace smartbot::engine::gguf
