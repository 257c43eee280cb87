// DatabaseKeyring: the JWT signing keys of servers that share a PostgreSQL database, kept in its signing_keys table
// (migration 5) so that a token issued by any server is accepted by all, and a rotation through any of them reaches
// all of them: a server looks for new rows at most every second, and at once when a token names a kid it does not
// know (core/jwt_key_source.h).
// The keys are never stored in the clear: each row is sealed with AES-256-GCM (core/sealed_box.h, the kid as
// associated data) under the key in [database] secrets_key_file, a 0400 file the first server creates and the others
// are given a copy of. Whoever can read the database, its dumps or its backups cannot sign tokens without that file.
// Rows: the current key is the newest (largest id), so a rotation is one INSERT and two servers rotating at once
// leave two keys, the older of them retired; a retired key is accepted until its retirement (its own retired_at, or
// the next key's created_at) + [auth] max_token_hours + leeway, and deleted at a later rotation.
// Threading: one thread at a time; Storage may be shared.
#pragma once

#include <QString>
#include <memory>

#include "core/jwt_key_source.h"
#include "core/sealed_box.h"

namespace smartbot {

class Storage;

class DatabaseKeyring : public JwtKeySource {
public:
    static constexpr int kPollMs = 1000;

    // Reads keyFile, or creates it (0400) when the database holds no key yet; seals `seed` (this server's own keys)
    // into the database when it holds none. Fails, saying what to copy where, when keyFile is missing but the
    // database has keys, or when it does not open them.
    static Result<std::unique_ptr<DatabaseKeyring>> open(Storage &storage, const QString &keyFile,
                                                         const JwtKeyring &seed, qint64 acceptSeconds, qint64 now);

    Result<JwtKeyring> load(qint64 now) override;
    Result<QString> rotate(qint64 now) override;
    Result<QString> stamp() override;
    int pollMs() const override { return kPollMs; }
    bool shared() const override { return true; }

private:
    struct Row {
        qint64 id = 0;
        QString kid;
        QByteArray sealed;
        qint64 createdAt = 0;
        qint64 retiredAt = -1; // -1: retired by the next row (or current)
    };
    DatabaseKeyring(Storage &storage, SealedBox box, QString keyFile, qint64 acceptSeconds)
        : storage_(storage), box_(std::move(box)), keyFile_(std::move(keyFile)), acceptSeconds_(acceptSeconds)
    {
    }
    Result<QList<Row>> rows() const;
    Result<void> insert(const QByteArray &key, qint64 createdAt, qint64 retiredAt) const;
    // When the key of rows[i] stopped signing (-1 for the current one).
    static qint64 retirement(const QList<Row> &rows, qsizetype i);

    Storage &storage_;
    SealedBox box_;
    QString keyFile_;
    qint64 acceptSeconds_;
};

} // namespace smartbot
