#include "core/database_keyring.h"

#include <QFileInfo>

#include "core/secret_files.h"
#include "core/storage.h"

namespace smartbot {

namespace {
std::string fileAdvice(const QString &keyFile)
{
    return "copy " + keyFile.toStdString() +
           " from a server that already uses this database (mode 0400; [database] secrets_key_file names it)";
}
} // namespace

Result<std::unique_ptr<DatabaseKeyring>> DatabaseKeyring::open(Storage &storage, const QString &keyFile,
                                                               const JwtKeyring &seed, qint64 acceptSeconds, qint64 now)
{
    DatabaseKeyring probe(storage, {}, keyFile, acceptSeconds);
    auto existing = probe.rows();
    if (!existing)
        return existing.failure();
    QByteArray kek;
    if (QFileInfo::exists(keyFile)) {
        auto read = readKeyFile(keyFile, SealedBox::kKeyBytes);
        if (!read)
            return makeError("[database] secrets_key_file: " + read.error());
        kek = read->left(SealedBox::kKeyBytes);
    } else if (existing->isEmpty()) {
        kek = randomBytes(SealedBox::kKeyBytes);
        if (auto w = writePrivateFile(keyFile, kek.toBase64() + '\n', 0400); !w)
            return makeError("[database] secrets_key_file: " + w.error());
        qInfo("created %s, which seals the JWT signing keys kept in the database: every other server that shares "
              "the database needs a copy of it (mode 0400)",
              qPrintable(keyFile));
    } else {
        return makeError("the database holds JWT signing keys sealed with a key this server does not have: " +
                         fileAdvice(keyFile));
    }
    std::unique_ptr<DatabaseKeyring> ring(
        new DatabaseKeyring(storage, SealedBox::withKey(kek).value(), keyFile, acceptSeconds));
    if (existing->isEmpty()) {
        // This server's own keys become everyone's, so that the tokens it has issued stay valid. Two servers doing
        // this at once both insert theirs; the newest row is then current and the other keys retired.
        for (const TokenService::PreviousKey &p : seed.previous)
            if (p.acceptUntil >= now)
                if (auto r = ring->insert(p.key, p.acceptUntil - acceptSeconds, p.acceptUntil - acceptSeconds); !r)
                    return r.failure();
        if (auto r = ring->insert(seed.current, now, -1); !r)
            return r.failure();
        qInfo("JWT signing keys: sealed this server's keys into the database (current key %s)",
              qPrintable(TokenService::keyId(seed.current)));
    }
    if (auto loaded = ring->load(now); !loaded)
        return loaded.failure();
    return ring;
}

Result<QList<DatabaseKeyring::Row>> DatabaseKeyring::rows() const
{
    auto q =
        storage_.exec(QStringLiteral("SELECT id, kid, sealed, created_at, retired_at FROM signing_keys ORDER BY id"));
    if (!q)
        return q.failure();
    QList<Row> out;
    while (q->next())
        out.push_back({.id = q->value(0).toLongLong(),
                       .kid = q->value(1).toString(),
                       .sealed = q->value(2).toByteArray(),
                       .createdAt = q->value(3).toLongLong(),
                       .retiredAt = q->value(4).isNull() ? -1 : q->value(4).toLongLong()});
    return out;
}

Result<void> DatabaseKeyring::insert(const QByteArray &key, qint64 createdAt, qint64 retiredAt) const
{
    const QString kid = TokenService::keyId(key);
    auto sealed = box_.seal(key, kid.toUtf8());
    if (!sealed)
        return sealed.failure();
    auto r =
        storage_.exec(QStringLiteral("INSERT INTO signing_keys (kid, sealed, created_at, retired_at) VALUES (?, ?, "
                                     "?, ?) ON CONFLICT (kid) DO NOTHING"),
                      {kid, sealed.value(), createdAt, retiredAt < 0 ? QVariant() : QVariant(retiredAt)});
    if (!r)
        return r.failure();
    return {};
}

qint64 DatabaseKeyring::retirement(const QList<Row> &rows, qsizetype i)
{
    if (i + 1 >= rows.size())
        return -1;
    return rows[i].retiredAt >= 0 ? rows[i].retiredAt : rows[i + 1].createdAt;
}

Result<JwtKeyring> DatabaseKeyring::load(qint64 now)
{
    auto all = rows();
    if (!all)
        return all.failure();
    if (all->isEmpty())
        return makeError("the database holds no JWT signing key (signing_keys is empty); restart a server to seal "
                         "its keys into it");
    JwtKeyring ring;
    for (qsizetype i = 0; i < all->size(); ++i) {
        const Row &row = all->at(i);
        const qint64 retired = retirement(all.value(), i);
        if (retired >= 0 && retired + acceptSeconds_ < now)
            continue; // expired: nothing it signed can be valid, and its row goes at the next rotation
        auto key = box_.open(row.sealed, row.kid.toUtf8());
        if (!key)
            return makeError("[database] secrets_key_file " + keyFile_.toStdString() +
                             " does not open JWT signing key " + row.kid.toStdString() +
                             " in the database (it was sealed with another file): " + fileAdvice(keyFile_));
        if (TokenService::keyId(key.value()) != row.kid)
            return makeError("JWT signing key " + row.kid.toStdString() + " in the database does not match its kid");
        if (retired < 0)
            ring.current = key.value();
        else
            ring.previous.push_back({key.value(), retired + acceptSeconds_});
    }
    return ring;
}

Result<QString> DatabaseKeyring::rotate(qint64 now)
{
    const QByteArray fresh = randomBytes(32);
    if (auto r = insert(fresh, now, -1); !r)
        return r.failure();
    if (auto all = rows()) {
        for (qsizetype i = 0; i < all->size(); ++i)
            if (const qint64 retired = retirement(all.value(), i); retired >= 0 && retired + acceptSeconds_ < now)
                storage_.exec(QStringLiteral("DELETE FROM signing_keys WHERE id = ?"), {all->at(i).id});
    }
    return TokenService::keyId(fresh);
}

Result<QString> DatabaseKeyring::stamp()
{
    auto q = storage_.exec(QStringLiteral("SELECT count(*), coalesce(max(id), 0) FROM signing_keys"));
    if (!q)
        return q.failure();
    if (!q->next())
        return makeError("cannot read signing_keys");
    return q->value(0).toString() + QLatin1Char(':') + q->value(1).toString();
}

} // namespace smartbot
