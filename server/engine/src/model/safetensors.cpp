#include "model/safetensors.h"

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

namespace smartbot::engine {

const char *dtypeName(DType d)
{
    switch (d) {
    case DType::F32:
        return "F32";
    case DType::F16:
        return "F16";
    case DType::BF16:
        return "BF16";
    }
    return "?";
}

size_t dtypeSize(DType d)
{
    return d == DType::F32 ? 4 : 2;
}

int64_t TensorView::numel() const
{
    int64_t n = 1;
    for (int64_t s : shape)
        n *= s;
    return n;
}

namespace {
constexpr uint64_t kMaxHeader = 100ull * 1024 * 1024; // the format's own limit
constexpr int64_t kMaxDim = int64_t(1) << 40;
} // namespace

Result<std::shared_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string &path)
{
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return mapped.failure();
    std::shared_ptr<SafetensorsFile> f(new SafetensorsFile);
    f->path_ = path;
    f->file_ = std::move(mapped.value());
    f->base_ = f->file_.data();
    f->size_ = f->file_.size();
    if (auto r = f->parse(); !r)
        return makeError(path + ": " + r.error());
    return f;
}

Result<std::shared_ptr<SafetensorsFile>> SafetensorsFile::fromMemory(std::vector<uint8_t> bytes)
{
    std::shared_ptr<SafetensorsFile> f(new SafetensorsFile);
    f->path_ = "<memory>";
    f->file_ = MappedFile::fromBytes(std::move(bytes));
    f->base_ = f->file_.data();
    f->size_ = f->file_.size();
    if (auto r = f->parse(); !r)
        return r.failure();
    return f;
}

const TensorView *SafetensorsFile::find(const std::string &name) const
{
    auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
}

Result<void> SafetensorsFile::parse()
{
    if (size_ < 8)
        return makeError("truncated file: " + std::to_string(size_) + " bytes, the 8-byte header length is missing");
    uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i)
        headerLen = (headerLen << 8) | base_[i];
    if (headerLen > size_ - 8)
        return makeError("header length " + std::to_string(headerLen) + " is longer than the file (" +
                         std::to_string(size_) + " bytes)");
    if (headerLen > kMaxHeader)
        return makeError("header length " + std::to_string(headerLen) + " exceeds 100 MB");
    const uint8_t *dataStart = base_ + 8 + headerLen;
    const uint64_t dataSize = size_ - 8 - headerLen;

    nlohmann::json header;
    try {
        header = nlohmann::json::parse(base_ + 8, base_ + 8 + headerLen);
    } catch (const nlohmann::json::exception &e) {
        return makeError(std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object())
        return makeError("header is not a JSON object");

    struct Span {
        uint64_t begin, end;
        std::string name;
    };
    std::vector<Span> spans;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__")
            continue;
        const std::string &name = it.key();
        const auto &t = it.value();
        if (!t.is_object())
            return makeError("tensor '" + name + "': entry is not an object");
        auto dt = t.find("dtype"), sh = t.find("shape"), off = t.find("data_offsets");
        if (dt == t.end() || !dt->is_string())
            return makeError("tensor '" + name + "': missing dtype");
        if (sh == t.end() || !sh->is_array())
            return makeError("tensor '" + name + "': missing shape");
        if (off == t.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
            !(*off)[1].is_number_unsigned())
            return makeError("tensor '" + name + "': data_offsets must be two non-negative integers");
        TensorView v;
        v.name = name;
        const std::string dts = dt->get<std::string>();
        if (dts == "F32")
            v.dtype = DType::F32;
        else if (dts == "F16")
            v.dtype = DType::F16;
        else if (dts == "BF16")
            v.dtype = DType::BF16;
        else
            return makeError("tensor '" + name + "': unsupported dtype " + dts + " (supported: F32, F16, BF16)");
        int64_t numel = 1;
        for (const auto &d : *sh) {
            if (!d.is_number_unsigned() || d.get<uint64_t>() > uint64_t(kMaxDim))
                return makeError("tensor '" + name + "': invalid shape");
            v.shape.push_back(d.get<int64_t>());
            if (v.shape.back() != 0 && numel > kMaxDim / v.shape.back())
                return makeError("tensor '" + name + "': shape too large");
            numel *= v.shape.back();
        }
        const uint64_t b = (*off)[0].get<uint64_t>(), e = (*off)[1].get<uint64_t>();
        if (e < b)
            return makeError("tensor '" + name + "': data_offsets end before begin");
        if (e > dataSize)
            return makeError("tensor '" + name + "': data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
                             ") out of range (data section has " + std::to_string(dataSize) +
                             " bytes; file truncated?)");
        if (e - b != uint64_t(numel) * dtypeSize(v.dtype))
            return makeError("tensor '" + name + "': byte size " + std::to_string(e - b) +
                             " does not match shape and dtype (" + std::to_string(numel * int64_t(dtypeSize(v.dtype))) +
                             " expected)");
        v.data = dataStart + b;
        v.bytes = e - b;
        spans.push_back({b, e, name});
        tensors_.emplace(name, std::move(v));
    }
    std::sort(spans.begin(), spans.end(), [](const Span &a, const Span &b) { return a.begin < b.begin; });
    for (size_t i = 1; i < spans.size(); ++i)
        if (spans[i].begin < spans[i - 1].end)
            return makeError("tensors '" + spans[i - 1].name + "' and '" + spans[i].name + "' overlap");
    return {};
}

} // namespace smartbot::engine
