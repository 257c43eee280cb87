#include "model/mapped_file.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smartbot::engine {

Result<MappedFile> MappedFile::open(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return makeError("cannot open " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return makeError(path + ": not a regular file");
    }
    MappedFile f;
    f.size_ = uint64_t(st.st_size);
    if (f.size_ > 0) {
        void *p = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            return makeError(path + ": mmap failed: " + std::strerror(err));
        }
        f.data_ = static_cast<const uint8_t *>(p);
        f.mapped_ = true;
    }
    ::close(fd);
    return f;
}

MappedFile MappedFile::fromBytes(std::vector<uint8_t> bytes)
{
    MappedFile f;
    f.owned_ = std::move(bytes);
    f.data_ = f.owned_.data();
    f.size_ = f.owned_.size();
    return f;
}

MappedFile::MappedFile(MappedFile &&other) noexcept
{
    *this = std::move(other);
}

MappedFile &MappedFile::operator=(MappedFile &&other) noexcept
{
    if (this != &other) {
        release();
        data_ = other.data_;
        size_ = other.size_;
        mapped_ = other.mapped_;
        owned_ = std::move(other.owned_); // the heap buffer moves with it: data_ stays valid
        other.data_ = nullptr;
        other.size_ = 0;
        other.mapped_ = false;
    }
    return *this;
}

MappedFile::~MappedFile()
{
    release();
}

void MappedFile::release()
{
    if (mapped_)
        ::munmap(const_cast<uint8_t *>(data_), size_);
    mapped_ = false;
    data_ = nullptr;
    size_ = 0;
}

} // namespace smartbot::engine
