#include "core/database_keyring.h"

#include <QFileInfo>
#include <QSet>

#include "core/secret_files.h"

namespace smartbot {

namespace {
const char kSelectRows[] = "SELECT id, kid, sealed, retired_at FROM signing_keys ORDER BY id";

std::string copyAdvice(const QString &keyFile)
{
    return "copy " + keyFile.toStdString() +
           " from a server that already uses this database (mode 0400; [database] secrets_key_file names it)";
}
} // namespace

Result<std::unique_ptr<DatabaseKeyring>> DatabaseKeyring::open(Storage &storage, const QString &keyFile,
                                                               const JwtKeyring &own, qint64 acceptSeconds, qint64 now)
{
    std::unique_ptr<DatabaseKeyring> ring;
    auto opened = storage.transaction(Storage::kSigningKeysLock, [&](const Storage::Transaction &tx) -> Result<void> {
        auto existing = rows(tx);
        if (!existing)
            return existing.failure();
        QByteArray kek;
        bool created = false;
        if (QFileInfo::exists(keyFile)) {
            auto read = readKeyFile(keyFile, SealedBox::kKeyBytes);
            if (!read)
                return makeError("[database] secrets_key_file: " + read.error());
            kek = read->left(SealedBox::kKeyBytes);
        } else if (existing->isEmpty()) {
            kek = randomBytes(SealedBox::kKeyBytes);
            created = true;
        } else {
            return makeError("the database holds JWT signing keys sealed with a key this server does not have: " +
                             copyAdvice(keyFile));
        }
        ring.reset(new DatabaseKeyring(storage, SealedBox::withKey(kek).value(), keyFile));
        QSet<QString> known;
        for (const Row &row : existing.value()) {
            // Checked before anything is written: a wrong file must not add rows nobody else can open.
            if (auto key = ring->openRow(row); !key)
                return key.failure();
            known << row.kid;
        }
        if (existing->isEmpty()) {
            // This server's own keys become everyone's, so that the tokens it issued stay valid.
            for (const TokenService::PreviousKey &p : own.previous)
                if (p.acceptUntil >= now)
                    if (auto r = ring->insert(tx, p.key, p.acceptUntil - acceptSeconds, p.acceptUntil - acceptSeconds);
                        !r)
                        return r;
            if (auto r = ring->insert(tx, own.current, now, -1); !r)
                return r;
            qInfo("JWT signing keys: sealed this server's keys into the database (current key %s)",
                  qPrintable(TokenService::keyId(own.current)));
        } else {
            // Joining: keys of its own that the database lacks are kept as retired ones, accepted until the tokens
            // they signed have expired (a server that issued tokens before it shared the database).
            QList<TokenService::PreviousKey> mine = own.previous;
            mine.push_back({own.current, now + acceptSeconds});
            for (const TokenService::PreviousKey &p : mine)
                if (!known.contains(TokenService::keyId(p.key)) && p.acceptUntil >= now)
                    if (auto r = ring->insert(tx, p.key, now, p.acceptUntil - acceptSeconds); !r)
                        return r;
        }
        if (created) { // last: only once the rows sealed with it are about to be committed
            if (auto w = writePrivateFile(keyFile, kek.toBase64() + '\n', 0400); !w)
                return makeError("[database] secrets_key_file: " + w.error());
            qInfo("created %s, which seals the JWT signing keys kept in the database: every other server that "
                  "shares the database needs a copy of it (mode 0400)",
                  qPrintable(keyFile));
        }
        return {};
    });
    if (!opened)
        return opened.failure();
    if (auto loaded = ring->load(now, acceptSeconds); !loaded)
        return loaded.failure();
    return ring;
}

QList<DatabaseKeyring::Row> DatabaseKeyring::readRows(Storage::Query &q)
{
    QList<Row> out;
    while (q.next())
        out.push_back({.id = q.value(0).toLongLong(),
                       .kid = q.value(1).toString(),
                       .sealed = q.value(2).toByteArray(),
                       .retiredAt = q.value(3).isNull() ? -1 : q.value(3).toLongLong()});
    return out;
}

Result<QList<DatabaseKeyring::Row>> DatabaseKeyring::rows(const Storage::Transaction &tx)
{
    auto q = tx.exec(QString::fromLatin1(kSelectRows));
    if (!q)
        return q.failure();
    return readRows(q.value());
}

Result<void> DatabaseKeyring::insert(const Storage::Transaction &tx, const QByteArray &key, qint64 createdAt,
                                     qint64 retiredAt) const
{
    const QString kid = TokenService::keyId(key);
    auto sealed = box_.seal(key, kid.toUtf8());
    if (!sealed)
        return sealed.failure();
    auto r =
        tx.exec(QStringLiteral("INSERT INTO signing_keys (kid, sealed, created_at, retired_at) VALUES (?, ?, ?, ?) "
                               "ON CONFLICT (kid) DO NOTHING"),
                {kid, sealed.value(), createdAt, retiredAt < 0 ? QVariant() : QVariant(retiredAt)}); // NULL: current
    if (!r)
        return r.failure();
    return {};
}

Result<QByteArray> DatabaseKeyring::openRow(const Row &row) const
{
    auto key = box_.open(row.sealed, row.kid.toUtf8());
    if (!key)
        return makeError("[database] secrets_key_file " + keyFile_.toStdString() + " does not open JWT signing key " +
                         row.kid.toStdString() +
                         " in the database (it was sealed with another file): " + copyAdvice(keyFile_));
    if (TokenService::keyId(key.value()) != row.kid)
        return makeError("JWT signing key " + row.kid.toStdString() + " in the database does not match its kid");
    return key;
}

Result<JwtKeyring> DatabaseKeyring::load(qint64 now, qint64 acceptSeconds)
{
    auto q = storage_.exec(QString::fromLatin1(kSelectRows));
    if (!q)
        return q.failure();
    JwtKeyring ring;
    for (const Row &row : readRows(q.value())) {
        if (row.retiredAt >= 0 && row.retiredAt + acceptSeconds < now)
            continue; // expired: nothing it signed can be valid, and its row goes at the next rotation
        auto key = openRow(row);
        if (!key)
            return key.failure();
        if (row.retiredAt < 0)
            ring.current = key.value(); // the newest, should there ever be two
        else
            ring.previous.push_back({key.value(), row.retiredAt + acceptSeconds});
    }
    if (ring.current.isEmpty())
        return makeError("the database holds no current JWT signing key (signing_keys); restart a server to seal its "
                         "keys into it");
    return ring;
}

Result<QString> DatabaseKeyring::rotate(qint64 now, qint64 acceptSeconds)
{
    const QByteArray fresh = randomBytes(32);
    auto done = storage_.transaction(Storage::kSigningKeysLock, [&](const Storage::Transaction &tx) -> Result<void> {
        if (auto r = tx.exec(QStringLiteral("UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL"), {now});
            !r)
            return r.failure();
        if (auto r = insert(tx, fresh, now, -1); !r)
            return r;
        if (auto r = tx.exec(QStringLiteral("DELETE FROM signing_keys WHERE retired_at < ?"), {now - acceptSeconds});
            !r)
            return r.failure();
        return {};
    });
    if (!done)
        return done.failure();
    return TokenService::keyId(fresh);
}

Result<QString> DatabaseKeyring::stamp()
{
    // Every change adds a row with a larger id or removes rows: rotations, joins and deletions all show here.
    auto q = storage_.exec(QStringLiteral("SELECT count(*), coalesce(max(id), 0), coalesce(sum(retired_at), 0) FROM "
                                          "signing_keys"));
    if (!q)
        return q.failure();
    if (!q->next())
        return makeError("cannot read signing_keys");
    return q->value(0).toString() + QLatin1Char(':') + q->value(1).toString() + QLatin1Char(':') +
           q->value(2).toString();
}

} // namespace smartbot
