// MappedFile: a whole file's bytes, read-only: memory-mapped from disk, or owned (tests and fuzz targets parse bytes
// held in memory). The model file readers (safetensors, GGUF) keep one and point into it. Move-only; the mapping
// ends with the object.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "smartbot/engine/result.h"

namespace smartbot::engine {

class MappedFile {
public:
    // Errors name the path: it cannot be opened, is not a regular file, or cannot be mapped.
    static Result<MappedFile> open(const std::string &path);
    static MappedFile fromBytes(std::vector<uint8_t> bytes);

    MappedFile() = default;
    MappedFile(MappedFile &&other) noexcept;
    MappedFile &operator=(MappedFile &&other) noexcept;
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;
    ~MappedFile();

    const uint8_t *data() const { return data_; }
    uint64_t size() const { return size_; }

private:
    void release();
    const uint8_t *data_ = nullptr;
    uint64_t size_ = 0;
    bool mapped_ = false;
    std::vector<uint8_t> owned_;
};

} // namespace smartbot::engine
