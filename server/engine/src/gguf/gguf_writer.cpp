#include "gguf/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace smartbot::engine::gguf {

namespace {

template <typename T> void put(std::vector<uint8_t> &out, T v)
{
    const size_t at = out.size();
    out.resize(at + sizeof v);
    std::memcpy(out.data() + at, &v, sizeof v);
}

void putString(std::vector<uint8_t> &out, const std::string &s)
{
    put<uint64_t>(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
}

template <typename T> std::vector<uint8_t> scalar(T v)
{
    std::vector<uint8_t> out;
    put(out, v);
    return out;
}

// GGUF's value type ids (gguf_file.h's ValueType).
constexpr uint32_t kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kString = 8, kArray = 9;

// An array: element type, count, then each element as `write` puts it.
template <typename T, typename Put>
std::vector<uint8_t> arrayBytes(uint32_t elementType, const std::vector<T> &values, const Put &write)
{
    std::vector<uint8_t> v;
    put<uint32_t>(v, elementType);
    put<uint64_t>(v, values.size());
    for (const T &x : values)
        write(v, x);
    return v;
}

} // namespace

void Writer::setString(const std::string &key, const std::string &value)
{
    std::vector<uint8_t> v;
    putString(v, value);
    metadata_.push_back({key, kString, std::move(v)});
}

void Writer::setU32(const std::string &key, uint32_t value)
{
    metadata_.push_back({key, kU32, scalar(value)});
}

void Writer::setI32(const std::string &key, int32_t value)
{
    metadata_.push_back({key, kI32, scalar(value)});
}

void Writer::setF32(const std::string &key, float value)
{
    metadata_.push_back({key, kF32, scalar(value)});
}

void Writer::setBool(const std::string &key, bool value)
{
    metadata_.push_back({key, kBool, scalar<uint8_t>(value ? 1 : 0)});
}

void Writer::setStrings(const std::string &key, const std::vector<std::string> &values)
{
    metadata_.push_back({key, kArray, arrayBytes(kString, values, putString)});
}

void Writer::setF32s(const std::string &key, const std::vector<float> &values)
{
    metadata_.push_back({key, kArray, arrayBytes(kF32, values, put<float>)});
}

void Writer::setI32s(const std::string &key, const std::vector<int32_t> &values)
{
    metadata_.push_back({key, kArray, arrayBytes(kI32, values, put<int32_t>)});
}

void Writer::setRaw(const std::string &key, uint32_t typeId, std::vector<uint8_t> valueBytes)
{
    metadata_.push_back({key, typeId, std::move(valueBytes)});
}

void Writer::setAlignment(uint32_t alignment)
{
    alignment_ = alignment;
    if (alignment != 32)
        setU32("general.alignment", alignment);
}

void Writer::addTensor(const std::string &name, GgmlType type, std::vector<int64_t> dims, std::vector<uint8_t> data)
{
    tensors_.push_back({name, type, std::move(dims), std::move(data)});
}

std::vector<uint8_t> Writer::bytes() const
{
    std::vector<uint8_t> out;
    put<uint32_t>(out, 0x46554747); // "GGUF"
    put<uint32_t>(out, 3);
    put<uint64_t>(out, tensors_.size());
    put<uint64_t>(out, metadata_.size());
    for (const auto &e : metadata_) {
        putString(out, e.key);
        put<uint32_t>(out, e.type);
        out.insert(out.end(), e.value.begin(), e.value.end());
    }
    const auto align = [this](uint64_t n) { return (n + alignment_ - 1) / alignment_ * alignment_; };
    uint64_t offset = 0;
    for (const auto &t : tensors_) {
        putString(out, t.name);
        put<uint32_t>(out, uint32_t(t.dims.size()));
        for (int64_t d : t.dims)
            put<uint64_t>(out, uint64_t(d));
        put<uint32_t>(out, uint32_t(t.type));
        put<uint64_t>(out, offset);
        offset = align(offset + t.data.size());
    }
    out.resize(align(out.size()), 0);
    for (const auto &t : tensors_) {
        out.insert(out.end(), t.data.begin(), t.data.end());
        out.resize(align(out.size()), 0);
    }
    return out;
}

Result<void> Writer::write(const std::string &path) const
{
    const std::vector<uint8_t> data = bytes();
    const std::string tmp = path + ".tmp";
    FILE *f = std::fopen(tmp.c_str(), "wb");
    if (!f)
        return makeError("cannot write " + tmp + ": " + std::strerror(errno));
    const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
    const bool closed = std::fclose(f) == 0;
    if (!ok || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        std::remove(tmp.c_str());
        return makeError("cannot write " + path + ": " + std::strerror(err));
    }
    return {};
}

} // namespace smartbot::engine::gguf
