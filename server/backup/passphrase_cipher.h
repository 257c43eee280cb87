// PassphraseCipher: how a backup protects the config folder's secrets. scrypt (N = 2^15, r = 8, p = 1: about 32 MiB
// and a tenth of a second per guess on a current CPU, OpenSSL's EVP_PBE_scrypt) turns a passphrase and a random
// 16-byte salt into two 256-bit keys: one for AES-256-GCM (each member sealed with its own random 96-bit nonce,
// its archive name as associated data, so members cannot be swapped), one for an HMAC-SHA256 over the manifest (a
// changed list of members or hashes is detected, not only a changed member). Thread-safe: no shared state.
#pragma once

#include <QByteArray>

#include "core/sealed_box.h"
#include "smartbot/common/result.h"

namespace smartbot::backup {

struct KdfParameters {
    QByteArray salt; // 16 random bytes
    quint64 n = quint64(1) << 15;
    quint32 r = 8;
    quint32 p = 1;
};

class PassphraseCipher {
public:
    // Derives the keys (slow on purpose). An empty passphrase or parameters out of range are errors.
    static Result<PassphraseCipher> derive(const QByteArray &passphrase, const KdfParameters &kdf);
    static KdfParameters freshParameters(); // a new random salt, the default cost

    // nonce (12) || ciphertext || tag (16).
    Result<QByteArray> seal(const QByteArray &plain, const QByteArray &associatedData) const;
    // Fails when the tag does not match: a wrong passphrase, or the sealed bytes or their name were changed.
    Result<QByteArray> open(const QByteArray &sealed, const QByteArray &associatedData) const;
    QByteArray mac(const QByteArray &data) const; // HMAC-SHA256 with the MAC key

private:
    SealedBox box_;
    QByteArray macKey_;
};

} // namespace smartbot::backup
