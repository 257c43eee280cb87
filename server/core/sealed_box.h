// SealedBox: AES-256-GCM (OpenSSL EVP) under one 256-bit key. Each seal() draws its own random 96-bit nonce; the
// associated data (a name: a backup member's path, a signing key's kid) is authenticated with the bytes, so sealed
// values cannot be moved to another name unnoticed. Used by backups (backup/passphrase_cipher.h, the key derived from
// a passphrase) and by the JWT signing keys kept in a shared database (core/database_keyring.h, the key from a file).
// Thread-safe: no shared state.
#pragma once

#include <QByteArray>

#include "smartbot/common/result.h"

namespace smartbot {

class SealedBox {
public:
    static constexpr int kKeyBytes = 32;
    static constexpr int kNonceBytes = 12;
    static constexpr int kTagBytes = 16;

    SealedBox() = default;
    // A key of another length than kKeyBytes is an InvalidArgument error.
    static Result<SealedBox> withKey(QByteArray key);

    // nonce (12) || ciphertext || tag (16).
    Result<QByteArray> seal(const QByteArray &plain, const QByteArray &associatedData) const;
    // PermissionDenied when the tag does not match: another key, or the bytes or their name were changed.
    Result<QByteArray> open(const QByteArray &sealed, const QByteArray &associatedData) const;

private:
    QByteArray key_;
};

} // namespace smartbot
