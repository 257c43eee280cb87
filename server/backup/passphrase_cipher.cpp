#include "backup/passphrase_cipher.h"

#include <memory>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

namespace smartbot::backup {

namespace {
constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;
constexpr int kKeyBytes = 32;

struct CtxFree {
    void operator()(EVP_CIPHER_CTX *c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char *bytes(const QByteArray &b)
{
    return reinterpret_cast<const unsigned char *>(b.constData());
}
} // namespace

KdfParameters PassphraseCipher::freshParameters()
{
    KdfParameters kdf;
    kdf.salt.resize(16);
    RAND_bytes(reinterpret_cast<unsigned char *>(kdf.salt.data()), int(kdf.salt.size()));
    return kdf;
}

Result<PassphraseCipher> PassphraseCipher::derive(const QByteArray &passphrase, const KdfParameters &kdf)
{
    if (passphrase.isEmpty())
        return makeError("the passphrase is empty", ErrorCode::InvalidArgument);
    // Bounds: what a damaged or hostile manifest could ask for must not exhaust memory or time.
    if (kdf.salt.size() < 8 || kdf.n < 1024 || kdf.n > (quint64(1) << 20) || (kdf.n & (kdf.n - 1)) != 0 || kdf.r < 1 ||
        kdf.r > 32 || kdf.p < 1 || kdf.p > 16)
        return makeError("the backup's key-derivation parameters are out of range", ErrorCode::InvalidArgument);
    QByteArray out(2 * kKeyBytes, '\0');
    const uint64_t maxMemory = 128 * kdf.n * kdf.r * kdf.p + (uint64_t(16) << 20);
    if (EVP_PBE_scrypt(passphrase.constData(), size_t(passphrase.size()), bytes(kdf.salt), size_t(kdf.salt.size()),
                       kdf.n, kdf.r, kdf.p, maxMemory, reinterpret_cast<unsigned char *>(out.data()),
                       size_t(out.size())) != 1)
        return makeError("scrypt failed (not enough memory?)");
    PassphraseCipher c;
    c.encryptionKey_ = out.left(kKeyBytes);
    c.macKey_ = out.mid(kKeyBytes);
    return c;
}

Result<QByteArray> PassphraseCipher::seal(const QByteArray &plain, const QByteArray &associatedData) const
{
    QByteArray out(kNonceBytes + plain.size() + kTagBytes, '\0');
    auto *o = reinterpret_cast<unsigned char *>(out.data());
    if (RAND_bytes(o, kNonceBytes) != 1)
        return makeError("no random numbers for a nonce");
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int n = 0, tail = 0;
    const bool ok =
        ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(encryptionKey_), o) == 1 &&
        EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(associatedData), int(associatedData.size())) == 1 &&
        EVP_EncryptUpdate(ctx.get(), o + kNonceBytes, &n, bytes(plain), int(plain.size())) == 1 &&
        EVP_EncryptFinal_ex(ctx.get(), o + kNonceBytes + n, &tail) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, o + kNonceBytes + plain.size()) == 1;
    if (!ok)
        return makeError("AES-256-GCM encryption failed");
    return out;
}

Result<QByteArray> PassphraseCipher::open(const QByteArray &sealed, const QByteArray &associatedData) const
{
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
                    EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(encryptionKey_), s) == 1 &&
                    EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(associatedData), int(associatedData.size())) == 1 &&
                    EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char *>(plain.data()), &n, s + kNonceBytes,
                                      length) == 1 &&
                    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
                    EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char *>(plain.data()) + n, &tail) == 1;
    if (!ok)
        return makeError("authentication failed", ErrorCode::PermissionDenied);
    return plain;
}

QByteArray PassphraseCipher::mac(const QByteArray &data) const
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), macKey_.constData(), int(macKey_.size()), bytes(data), size_t(data.size()), out, &length);
    return QByteArray(reinterpret_cast<const char *>(out), int(length));
}

} // namespace smartbot::backup
