// The GGUF layout (all little-endian): magic "GGUF", uint32 version, uint64 tensor count, uint64 metadata count;
// the metadata (key string, uint32 value type, value); the tensor infos (name, uint32 dimension count, uint64
// dimensions, uint32 ggml type, uint64 offset); padding to general.alignment (default 32); the data section, where
// each tensor's offset is a multiple of the alignment. A string is a uint64 length and that many bytes; an array is
// a uint32 element type, a uint64 count and the elements.
#include "gguf/gguf_file.h"

#include <cerrno>
#include <cstring>

namespace smartbot::engine::gguf {

namespace {

constexpr uint32_t kMagic = 0x46554747; // "GGUF" read as a little-endian uint32
constexpr int kMaxDims = 4;             // ggml's GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 2;       // an array of arrays at most (nothing in the format's key list nests deeper)
constexpr int64_t kMaxElements = int64_t(1) << 50;

struct ValueTypeInfo {
    ValueType type;
    const char *name;
    uint64_t size; // bytes of one value; 0 for string and array
};
constexpr ValueTypeInfo kValueTypes[] = {
    {ValueType::U8, "uint8", 1},    {ValueType::I8, "int8", 1},    {ValueType::U16, "uint16", 2},
    {ValueType::I16, "int16", 2},   {ValueType::U32, "uint32", 4}, {ValueType::I32, "int32", 4},
    {ValueType::F32, "float32", 4}, {ValueType::Bool, "bool", 1},  {ValueType::String, "string", 0},
    {ValueType::Array, "array", 0}, {ValueType::U64, "uint64", 8}, {ValueType::I64, "int64", 8},
    {ValueType::F64, "float64", 8},
};

const ValueTypeInfo *valueTypeInfo(uint32_t id)
{
    for (const auto &t : kValueTypes)
        if (uint32_t(t.type) == id)
            return &t;
    return nullptr;
}

bool isInteger(ValueType t)
{
    switch (t) {
    case ValueType::U8:
    case ValueType::I8:
    case ValueType::U16:
    case ValueType::I16:
    case ValueType::U32:
    case ValueType::I32:
    case ValueType::U64:
    case ValueType::I64:
        return true;
    default:
        return false;
    }
}

// A bounds-checked reader over the file's bytes.
class Cursor {
public:
    Cursor(const uint8_t *base, uint64_t size) : base_(base), size_(size) {}
    uint64_t position() const { return pos_; }
    uint64_t remaining() const { return size_ - pos_; }

    template <typename T> Result<T> read(const char *what)
    {
        if (remaining() < sizeof(T))
            return makeError(std::string("file ends inside ") + what + " at byte " + std::to_string(pos_));
        T v;
        std::memcpy(&v, base_ + pos_, sizeof v);
        pos_ += sizeof v;
        return v;
    }

    Result<std::string> string(const std::string &what)
    {
        auto n = read<uint64_t>(what.c_str());
        if (!n)
            return n.failure();
        if (n.value() > remaining())
            return makeError(what + ": string length " + std::to_string(n.value()) + " runs past the end of the file");
        std::string s(reinterpret_cast<const char *>(base_ + pos_), size_t(n.value()));
        pos_ += n.value();
        return s;
    }

private:
    const uint8_t *base_;
    uint64_t size_;
    uint64_t pos_ = 0;
};

Result<nlohmann::json> readScalar(Cursor &c, const ValueTypeInfo &t, const std::string &what)
{
    const char *w = what.c_str();
    switch (t.type) {
#define SB_SCALAR(enumerator, ctype)                                                                                   \
    case ValueType::enumerator: {                                                                                      \
        auto v = c.read<ctype>(w);                                                                                     \
        if (!v)                                                                                                        \
            return v.failure();                                                                                        \
        return nlohmann::json(v.value());                                                                              \
    }
        SB_SCALAR(U8, uint8_t)
        SB_SCALAR(I8, int8_t)
        SB_SCALAR(U16, uint16_t)
        SB_SCALAR(I16, int16_t)
        SB_SCALAR(U32, uint32_t)
        SB_SCALAR(I32, int32_t)
        SB_SCALAR(U64, uint64_t)
        SB_SCALAR(I64, int64_t)
        SB_SCALAR(F32, float)
        SB_SCALAR(F64, double)
#undef SB_SCALAR
    case ValueType::Bool: {
        auto v = c.read<uint8_t>(w);
        if (!v)
            return v.failure();
        if (v.value() > 1)
            return makeError(what + ": a bool must be 0 or 1, found " + std::to_string(v.value()));
        return nlohmann::json(v.value() == 1);
    }
    case ValueType::String: {
        auto s = c.string(what);
        if (!s)
            return s.failure();
        // Kept as bytes; JSON strings must be UTF-8 only when dumped, which the loader never does with file text.
        return nlohmann::json(std::move(s.value()));
    }
    case ValueType::Array:
        break;
    }
    return makeError(what + ": not a scalar");
}

Result<nlohmann::json> readValue(Cursor &c, const ValueTypeInfo &t, const std::string &what, int depth,
                                 ValueType *elementTypeOut)
{
    if (t.type != ValueType::Array)
        return readScalar(c, t, what);
    if (depth >= kMaxArrayDepth)
        return makeError(what + ": arrays nested deeper than " + std::to_string(kMaxArrayDepth));
    auto et = c.read<uint32_t>(what.c_str());
    if (!et)
        return et.failure();
    const ValueTypeInfo *elem = valueTypeInfo(et.value());
    if (!elem)
        return makeError(what + ": unknown array element type " + std::to_string(et.value()));
    auto n = c.read<uint64_t>(what.c_str());
    if (!n)
        return n.failure();
    // Every element takes at least its size (8 bytes for a string's length, 12 for an array's header): a count the
    // rest of the file cannot hold is refused before anything is allocated.
    const uint64_t minSize = elem->size ? elem->size : (elem->type == ValueType::String ? 8 : 12);
    if (n.value() > c.remaining() / minSize)
        return makeError(what + ": array of " + std::to_string(n.value()) + " elements runs past the end of the file");
    if (elementTypeOut)
        *elementTypeOut = elem->type;
    nlohmann::json arr = nlohmann::json::array();
    arr.get_ref<nlohmann::json::array_t &>().reserve(size_t(n.value()));
    for (uint64_t i = 0; i < n.value(); ++i) {
        auto v = readValue(c, *elem, what, depth + 1, nullptr);
        if (!v)
            return v.failure();
        arr.push_back(std::move(v.value()));
    }
    return arr;
}

} // namespace

const char *valueTypeName(ValueType t)
{
    const ValueTypeInfo *i = valueTypeInfo(uint32_t(t));
    return i ? i->name : "?";
}

int64_t Tensor::elements() const
{
    int64_t n = 1;
    for (int64_t d : dims)
        n *= d;
    return n;
}

uint64_t Tensor::rowBytes() const
{
    const GgmlTypeInfo *t = ggmlTypeInfo(type);
    return dims.empty() || !t ? 0 : uint64_t(dims[0] / t->blockSize) * uint64_t(t->blockBytes);
}

Result<std::shared_ptr<File>> File::open(const std::string &path)
{
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return mapped.failure();
    std::shared_ptr<File> f(new File);
    f->path_ = path;
    f->file_ = std::move(mapped.value());
    f->base_ = f->file_.data();
    f->size_ = f->file_.size();
    if (auto r = f->parse(); !r)
        return makeError(path + ": " + r.error());
    return f;
}

Result<std::shared_ptr<File>> File::fromMemory(std::vector<uint8_t> bytes)
{
    std::shared_ptr<File> f(new File);
    f->path_ = "<memory>";
    f->file_ = MappedFile::fromBytes(std::move(bytes));
    f->base_ = f->file_.data();
    f->size_ = f->file_.size();
    if (auto r = f->parse(); !r)
        return r.failure();
    return f;
}

Result<void> File::parse()
{
    Cursor c(base_, size_);
    auto magic = c.read<uint32_t>("the header");
    if (!magic)
        return makeError("not a GGUF file (shorter than its 4-byte magic)");
    if (magic.value() != kMagic)
        return makeError("not a GGUF file (the first 4 bytes are not \"GGUF\")");
    auto version = c.read<uint32_t>("the header");
    if (!version)
        return version.failure();
    version_ = version.value();
    if (version_ == 0x03000000u || version_ == 0x02000000u)
        return makeError("big-endian GGUF files are not supported (convert it on a little-endian machine)");
    if (version_ != 2 && version_ != 3)
        return makeError("GGUF version " + std::to_string(version_) + " is not supported (versions 2 and 3 are)");
    auto tensorCount = c.read<uint64_t>("the header");
    auto kvCount = c.read<uint64_t>("the header");
    if (!tensorCount || !kvCount)
        return makeError("file ends inside the header");
    // A metadata entry takes at least 8 + 4 + 1 bytes, a tensor info 8 + 4 + 8 + 4 + 8.
    if (kvCount.value() > c.remaining() / 13)
        return makeError("the header promises " + std::to_string(kvCount.value()) +
                         " metadata entries, more than the file can hold");
    if (tensorCount.value() > c.remaining() / 32)
        return makeError("the header promises " + std::to_string(tensorCount.value()) +
                         " tensors, more than the file can hold");

    for (uint64_t i = 0; i < kvCount.value(); ++i) {
        auto key = c.string("metadata key " + std::to_string(i));
        if (!key)
            return key.failure();
        auto typeId = c.read<uint32_t>("metadata");
        if (!typeId)
            return typeId.failure();
        const ValueTypeInfo *t = valueTypeInfo(typeId.value());
        if (!t)
            return makeError("metadata '" + key.value() + "': unknown value type " + std::to_string(typeId.value()));
        Value v;
        v.type = t->type;
        auto value = readValue(c, *t, "metadata '" + key.value() + "'", 0, &v.elementType);
        if (!value)
            return value.failure();
        v.value = std::move(value.value());
        if (!metadata_.emplace(key.value(), std::move(v)).second)
            return makeError("metadata key '" + key.value() + "' appears twice");
    }
    if (const Value *a = find("general.alignment")) {
        if (a->type != ValueType::U32)
            return makeError("metadata 'general.alignment' must be a uint32");
        alignment_ = a->value.get<uint64_t>();
        if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0)
            return makeError("metadata 'general.alignment' must be a power of two, not " + std::to_string(alignment_));
    }

    tensors_.reserve(size_t(tensorCount.value()));
    for (uint64_t i = 0; i < tensorCount.value(); ++i) {
        Tensor t;
        auto name = c.string("tensor " + std::to_string(i) + "'s name");
        if (!name)
            return name.failure();
        t.name = name.value();
        const std::string what = "tensor '" + t.name + "'";
        auto nDims = c.read<uint32_t>(what.c_str());
        if (!nDims)
            return nDims.failure();
        if (nDims.value() == 0 || nDims.value() > uint32_t(kMaxDims))
            return makeError(what + ": " + std::to_string(nDims.value()) + " dimensions (1 to 4 allowed)");
        int64_t elements = 1;
        for (uint32_t d = 0; d < nDims.value(); ++d) {
            auto dim = c.read<uint64_t>(what.c_str());
            if (!dim)
                return dim.failure();
            if (dim.value() == 0 || dim.value() > uint64_t(kMaxElements) ||
                uint64_t(elements) > uint64_t(kMaxElements) / dim.value())
                return makeError(what + ": dimension " + std::to_string(dim.value()) + " is out of range");
            elements *= int64_t(dim.value());
            t.dims.push_back(int64_t(dim.value()));
        }
        auto type = c.read<uint32_t>(what.c_str());
        auto offset = c.read<uint64_t>(what.c_str());
        if (!type || !offset)
            return makeError("file ends inside " + what + "'s info");
        t.type = type.value();
        t.offset = offset.value();
        const GgmlTypeInfo *info = ggmlTypeInfo(t.type);
        if (!info)
            return makeError(what + " has unknown tensor type " + std::to_string(t.type));
        if (t.dims[0] % info->blockSize != 0)
            return makeError(what + ": its rows of " + std::to_string(t.dims[0]) + " values are not whole " +
                             info->name + " blocks of " + std::to_string(info->blockSize));
        t.bytes = uint64_t(elements / info->blockSize) * uint64_t(info->blockBytes);
        if (t.offset % alignment_ != 0)
            return makeError(what + ": offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                             std::to_string(alignment_));
        if (!tensorIndex_.emplace(t.name, tensors_.size()).second)
            return makeError(what + " appears twice");
        tensors_.push_back(std::move(t));
    }

    const uint64_t dataStart = (c.position() + alignment_ - 1) / alignment_ * alignment_;
    for (Tensor &t : tensors_) {
        if (dataStart > size_ || t.offset > size_ - dataStart || t.bytes > size_ - dataStart - t.offset)
            return makeError("tensor '" + t.name + "' (" + std::to_string(t.bytes) + " bytes at data offset " +
                             std::to_string(t.offset) + ") runs past the end of the file");
        t.data = base_ + dataStart + t.offset;
    }
    return {};
}

const Value *File::find(const std::string &key) const
{
    auto it = metadata_.find(key);
    return it == metadata_.end() ? nullptr : &it->second;
}

const Tensor *File::tensor(const std::string &name) const
{
    auto it = tensorIndex_.find(name);
    return it == tensorIndex_.end() ? nullptr : &tensors_[it->second];
}

namespace {
Error wrongType(const std::string &key, const char *wanted, const Value &v)
{
    return Error(std::string("metadata '") + key + "' must be " + wanted + ", not " + valueTypeName(v.type));
}
} // namespace

Result<std::string> File::string(const std::string &key) const
{
    const Value *v = find(key);
    if (!v)
        return makeError("metadata '" + key + "' is missing");
    if (v->type != ValueType::String)
        return wrongType(key, "a string", *v);
    return v->value.get<std::string>();
}

Result<std::string> File::string(const std::string &key, const std::string &fallback) const
{
    return find(key) ? string(key) : Result<std::string>(fallback);
}

Result<int64_t> File::integer(const std::string &key) const
{
    const Value *v = find(key);
    if (!v)
        return makeError("metadata '" + key + "' is missing");
    if (!isInteger(v->type))
        return wrongType(key, "an integer", *v);
    if (v->type == ValueType::U64 && v->value.get<uint64_t>() > uint64_t(INT64_MAX))
        return makeError("metadata '" + key + "' is out of range");
    return v->value.get<int64_t>();
}

Result<int64_t> File::integer(const std::string &key, int64_t fallback) const
{
    return find(key) ? integer(key) : Result<int64_t>(fallback);
}

Result<double> File::number(const std::string &key, double fallback) const
{
    const Value *v = find(key);
    if (!v)
        return fallback;
    if (!isInteger(v->type) && v->type != ValueType::F32 && v->type != ValueType::F64)
        return wrongType(key, "a number", *v);
    return v->value.get<double>();
}

Result<bool> File::boolean(const std::string &key, bool fallback) const
{
    const Value *v = find(key);
    if (!v)
        return fallback;
    if (v->type != ValueType::Bool)
        return wrongType(key, "a bool", *v);
    return v->value.get<bool>();
}

Result<nlohmann::json> File::array(const std::string &key, const std::string &elementKind) const
{
    const Value *v = find(key);
    if (!v)
        return nlohmann::json();
    const bool ok = v->type == ValueType::Array &&
                    ((elementKind == "string" && v->elementType == ValueType::String) ||
                     (elementKind == "integer" && isInteger(v->elementType)) ||
                     (elementKind == "number" && (isInteger(v->elementType) || v->elementType == ValueType::F32 ||
                                                  v->elementType == ValueType::F64)));
    if (!ok)
        return makeError("metadata '" + key + "' must be an array of " + elementKind + "s");
    return v->value;
}

} // namespace smartbot::engine::gguf
