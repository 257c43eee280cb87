#include "backup/passphrase_cipher.h"

#include <memory>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

namespace smartbot::backup {

namespace {
constexpr int kKeyBytes = SealedBox::kKeyBytes;

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
    c.box_ = SealedBox::withKey(out.left(kKeyBytes)).value(); // kKeyBytes: always accepted
    c.macKey_ = out.mid(kKeyBytes);
    return c;
}

Result<QByteArray> PassphraseCipher::seal(const QByteArray &plain, const QByteArray &associatedData) const
{
    return box_.seal(plain, associatedData);
}

Result<QByteArray> PassphraseCipher::open(const QByteArray &sealed, const QByteArray &associatedData) const
{
    return box_.open(sealed, associatedData);
}

QByteArray PassphraseCipher::mac(const QByteArray &data) const
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), macKey_.constData(), int(macKey_.size()), bytes(data), size_t(data.size()), out, &length);
    return QByteArray(reinterpret_cast<const char *>(out), int(length));
}

} // namespace smartbot::backup
