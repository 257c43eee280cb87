#include "core/sealed_box.h"

#include <memory>

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace smartbot {

namespace {
struct CtxFree {
    void operator()(EVP_CIPHER_CTX *c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char *bytes(const QByteArray &b)
{
    return reinterpret_cast<const unsigned char *>(b.constData());
}
} // namespace

Result<SealedBox> SealedBox::withKey(QByteArray key)
{
    if (key.size() != kKeyBytes)
        return makeError("an AES-256-GCM key is " + std::to_string(kKeyBytes) + " bytes, not " +
                             std::to_string(key.size()),
                         ErrorCode::InvalidArgument);
    SealedBox box;
    box.key_ = std::move(key);
    return box;
}

Result<QByteArray> SealedBox::seal(const QByteArray &plain, const QByteArray &associatedData) const
{
    if (key_.size() != kKeyBytes)
        return makeError("no key to seal with");
    QByteArray out(kNonceBytes + plain.size() + kTagBytes, '\0');
    auto *o = reinterpret_cast<unsigned char *>(out.data());
    if (RAND_bytes(o, kNonceBytes) != 1)
        return makeError("no random numbers for a nonce");
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int n = 0, tail = 0;
    const bool ok =
        ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key_), o) == 1 &&
        EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(associatedData), int(associatedData.size())) == 1 &&
        EVP_EncryptUpdate(ctx.get(), o + kNonceBytes, &n, bytes(plain), int(plain.size())) == 1 &&
        EVP_EncryptFinal_ex(ctx.get(), o + kNonceBytes + n, &tail) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, o + kNonceBytes + plain.size()) == 1;
    if (!ok)
        return makeError("AES-256-GCM encryption failed");
    return out;
}

Result<QByteArray> SealedBox::open(const QByteArray &sealed, const QByteArray &associatedData) const
{
    if (key_.size() != kKeyBytes)
        return makeError("no key to open with");
    if (sealed.size() < kNonceBytes + kTagBytes)
        return makeError("too short to be sealed", ErrorCode::InvalidArgument);
    const auto *s = bytes(sealed);
    const int length = int(sealed.size()) - kNonceBytes - kTagBytes;
    QByteArray plain(length, '\0');
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int n = 0, tail = 0;
    QByteArray tag = sealed.right(kTagBytes);
    const bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
                    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
                    EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key_), s) == 1 &&
                    EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(associatedData), int(associatedData.size())) == 1 &&
                    EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char *>(plain.data()), &n, s + kNonceBytes,
                                      length) == 1 &&
                    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
                    EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char *>(plain.data()) + n, &tail) == 1;
    if (!ok)
        return makeError("authentication failed", ErrorCode::PermissionDenied);
    return plain;
}

} // namespace smartbot
