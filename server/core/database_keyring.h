// DatabaseKeyring: the JWT signing keys of servers that share a PostgreSQL database, kept in its signing_keys table
// (migration 5) so that a token issued by any server is accepted by all, and a rotation through any of them reaches
// all of them: a server looks for changes at most every second, and at once when a token names a kid it does not
// know (core/jwt_key_source.h).
// The keys are never stored in the clear: each row is sealed with AES-256-GCM (core/sealed_box.h, the kid as
// associated data) under the key in [database] secrets_key_file, a 0400 file the first server creates and the others
// are given a copy of. Whoever can read the database, its dumps or its backups cannot sign tokens without that file.
// Rows: exactly one has no retired_at, the current key; a rotation retires it and inserts the next in one
// transaction. A retired key is accepted until retired_at + [auth] max_token_hours + leeway and deleted at a later
// rotation. Everything that reads, then writes (the first server's seeding, a server joining with keys of its own, a
// rotation) is one transaction under Storage::kSigningKeysLock, so servers starting or rotating together take turns.
// Threading: one thread at a time; Storage may be shared.
#pragma once

#include <QString>
#include <memory>

#include "core/jwt_key_source.h"
#include "core/sealed_box.h"
#include "core/storage.h"

namespace smartbot {

class DatabaseKeyring : public JwtKeySource {
public:
    static constexpr int kPollMs = 1000;

    // Reads keyFile, or creates it (0400) when the database holds no key yet and the file does not exist. With an
    // empty database `own` (this server's keys) becomes its keys; otherwise its keys the database lacks are added as
    // retired now (so the tokens they signed stay valid). Fails before writing anything, saying what to copy where,
    // when keyFile is missing but the database has keys, or does not open them.
    static Result<std::unique_ptr<DatabaseKeyring>> open(Storage &storage, const QString &keyFile,
                                                         const JwtKeyring &own, qint64 acceptSeconds, qint64 now);

    Result<JwtKeyring> load(qint64 now, qint64 acceptSeconds) override;
    Result<QString> rotate(qint64 now, qint64 acceptSeconds) override;
    Result<QString> stamp() override;
    int pollMs() const override { return kPollMs; }
    bool shared() const override { return true; }

private:
    struct Row {
        qint64 id = 0;
        QString kid;
        QByteArray sealed;
        qint64 retiredAt = -1; // -1: the current key
    };
    DatabaseKeyring(Storage &storage, SealedBox box, QString keyFile)
        : storage_(storage), box_(std::move(box)), keyFile_(std::move(keyFile))
    {
    }
    static QList<Row> readRows(Storage::Query &q);
    static Result<QList<Row>> rows(const Storage::Transaction &tx);
    Result<void> insert(const Storage::Transaction &tx, const QByteArray &key, qint64 createdAt,
                        qint64 retiredAt) const;
    Result<QByteArray> openRow(const Row &row) const; // the key, checked against its kid

    Storage &storage_;
    SealedBox box_;
    QString keyFile_;
};

} // namespace smartbot
