#include "core/api_keys.h"

#include <QDateTime>
#include <QSqlRecord>

#include "core/address_list.h"
#include "core/secret_files.h"
#include "smartbot/common/units.h"

namespace smartbot {

namespace {
const QString kColumns = QStringLiteral("id, name, prefix, scope, allow, created_at, last_used_at, expires_at, "
                                        "revoked_at, rotated_to, requests_per_minute, tokens_per_minute");

qint64 orZero(const QVariant &v)
{
    return v.isNull() ? 0 : v.toLongLong();
}
QVariant orNull(qint64 v)
{
    return v > 0 ? QVariant(v) : QVariant(QMetaType::fromType<qint64>());
}
QVariant limitOrNull(int v)
{
    return v >= 0 ? QVariant(v) : QVariant(QMetaType::fromType<int>());
}
} // namespace

ApiKeyStore::ApiKeyStore(const Storage &storage, Clock clock, int rotationDays)
    : storage_(storage), clock_(std::move(clock)), rotationDays_(rotationDays)
{
}

bool ApiKeyStore::looksLikeKey(const QByteArray &credential)
{
    return credential.startsWith(kKeyPrefix);
}

ApiKeyInfo ApiKeyStore::fromQuery(const Storage::Query &q) const
{
    ApiKeyInfo k;
    k.id = q.value(0).toLongLong();
    k.name = q.value(1).toString();
    k.prefix = q.value(2).toString();
    k.scope = q.value(3).toString();
    k.allow = q.value(4).toString();
    k.createdAt = q.value(5).toLongLong();
    k.lastUsedAt = orZero(q.value(6));
    k.expiresAt = orZero(q.value(7));
    k.revokedAt = orZero(q.value(8));
    k.rotatedTo = orZero(q.value(9));
    k.requestsPerMinute = q.value(10).isNull() ? -1 : q.value(10).toInt();
    k.tokensPerMinute = q.value(11).isNull() ? -1 : q.value(11).toInt();
    const qint64 now = clock_();
    k.rotationDue = rotationDays_ > 0 && k.revokedAt == 0 && k.rotatedTo == 0 &&
                    now >= k.createdAt + qint64(rotationDays_) * kSecondsPerDay;
    return k;
}

Result<CreatedKey> ApiKeyStore::create(const NewKeyOptions &o) const
{
    if (o.name.trimmed().isEmpty() || o.name.size() > 128)
        return makeError("a key needs a name of 1 to 128 characters", ErrorCode::InvalidArgument);
    if (o.scope != QLatin1String("chat") && o.scope != QLatin1String("admin"))
        return makeError("scope must be chat or admin", ErrorCode::InvalidArgument);
    if (o.expiresDays < 0 || o.expiresDays > 3650)
        return makeError("expires days must be from 0 (never) to 3650", ErrorCode::InvalidArgument);
    auto allow = AddressList::parse(o.allow);
    if (!allow)
        return makeError("allow list: " + allow.error(), ErrorCode::InvalidArgument);
    CreatedKey out;
    out.key = randomToken(kKeyPrefix, 32);
    const qint64 now = clock_();
    const QString prefix = QString::fromLatin1(out.key.left(kVisiblePrefix));
    qint64 id = 0;
    { // the statement ends here: SQLite commits when it is reset, and find() may use another connection
        auto r = storage_.exec(QStringLiteral("INSERT INTO api_keys (name, prefix, hash, scope, allow, created_at, "
                                              "expires_at, requests_per_minute, tokens_per_minute) "
                                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                               {o.name.trimmed(), prefix, sha256(out.key), o.scope, allow->toString(), now,
                                orNull(o.expiresDays > 0 ? now + qint64(o.expiresDays) * kSecondsPerDay : 0),
                                limitOrNull(o.requestsPerMinute), limitOrNull(o.tokensPerMinute)});
        if (!r)
            return r.failure();
        if (!r->next())
            return makeError("database: the new key's id did not come back");
        id = r->value(0).toLongLong();
    }
    auto info = find(QString::number(id));
    if (!info)
        return info.failure();
    out.info = info.value();
    return out;
}

Result<QList<ApiKeyInfo>> ApiKeyStore::list() const
{
    auto q = storage_.exec(QStringLiteral("SELECT %1 FROM api_keys ORDER BY id").arg(kColumns));
    if (!q)
        return q.failure();
    QList<ApiKeyInfo> out;
    while (q->next())
        out.push_back(fromQuery(q.value()));
    return out;
}

Result<ApiKeyInfo> ApiKeyStore::find(const QString &ref) const
{
    bool isId = false;
    const qint64 id = ref.toLongLong(&isId);
    auto q = isId ? storage_.exec(QStringLiteral("SELECT %1 FROM api_keys WHERE id = ?").arg(kColumns), {id})
                  : storage_.exec(QStringLiteral("SELECT %1 FROM api_keys WHERE prefix = ?").arg(kColumns), {ref});
    if (!q)
        return q.failure();
    if (!q->next())
        return makeError("no API key '" + ref.toStdString() + "'", ErrorCode::NotFound);
    const ApiKeyInfo k = fromQuery(q.value());
    if (q->next())
        return makeError("'" + ref.toStdString() + "' names more than one key: use the id", ErrorCode::InvalidArgument);
    return k;
}

Result<ApiKeyInfo> ApiKeyStore::revoke(const QString &ref) const
{
    auto k = find(ref);
    if (!k)
        return k;
    const qint64 now = clock_();
    if (k->revokedAt > 0 && k->revokedAt <= now)
        return makeError("API key " + k->prefix.toStdString() + " is already revoked", ErrorCode::InvalidArgument);
    if (auto r = storage_.exec(QStringLiteral("UPDATE api_keys SET revoked_at = ? WHERE id = ?"), {now, k->id}); !r)
        return r.failure();
    return find(QString::number(k->id));
}

Result<CreatedKey> ApiKeyStore::rotate(const QString &ref, int graceHours) const
{
    auto old = find(ref);
    if (!old)
        return old.failure();
    const qint64 now = clock_();
    if ((old->revokedAt > 0 && old->revokedAt <= now) || old->rotatedTo > 0)
        return makeError("API key " + old->prefix.toStdString() + " is revoked or already rotated",
                         ErrorCode::InvalidArgument);
    NewKeyOptions o;
    o.name = old->name;
    o.scope = old->scope;
    o.allow = old->allow;
    o.requestsPerMinute = old->requestsPerMinute;
    o.tokensPerMinute = old->tokensPerMinute;
    auto created = create(o);
    if (!created)
        return created;
    if (old->expiresAt > 0) {
        // The new key keeps the old key's lifetime.
        const qint64 expires = now + (old->expiresAt - old->createdAt);
        storage_.exec(QStringLiteral("UPDATE api_keys SET expires_at = ? WHERE id = ?"), {expires, created->info.id});
        created->info.expiresAt = expires;
    }
    const qint64 graceEnd = now + qint64(std::max(0, graceHours)) * kSecondsPerHour;
    auto r = storage_.exec(QStringLiteral("UPDATE api_keys SET revoked_at = ?, rotated_to = ? WHERE id = ?"),
                           {graceEnd > now ? graceEnd : now, created->info.id, old->id});
    if (!r)
        return r.failure();
    return created;
}

Result<ApiKeyInfo> ApiKeyStore::verify(const QByteArray &key, const QHostAddress &client) const
{
    if (!looksLikeKey(key) || key.size() > 256)
        return makeError("invalid API key", ErrorCode::NotFound);
    const QByteArray hash = sha256(key);
    auto q = storage_.exec(QStringLiteral("SELECT %1, hash FROM api_keys WHERE hash = ?").arg(kColumns), {hash});
    if (!q)
        return q.failure();
    if (!q->next() || !constantTimeEquals(q->value(12).toByteArray(), hash))
        return makeError("invalid API key", ErrorCode::NotFound);
    const ApiKeyInfo k = fromQuery(q.value());
    const qint64 now = clock_();
    if (k.revokedAt > 0 && k.revokedAt <= now)
        return makeError("API key " + k.prefix.toStdString() + " has been revoked", ErrorCode::NotFound);
    if (k.expiresAt > 0 && k.expiresAt <= now)
        return makeError("API key " + k.prefix.toStdString() + " has expired", ErrorCode::NotFound);
    if (!client.isNull() && !k.allow.isEmpty()) {
        auto allow = AddressList::parse(k.allow);
        if (!allow || !allow->contains(client))
            return makeError("API key " + k.prefix.toStdString() + " is not allowed from " +
                                 normalizedAddress(client).toString().toStdString(),
                             ErrorCode::PermissionDenied);
    }
    return k;
}

void ApiKeyStore::touch(qint64 id) const
{
    storage_.exec(QStringLiteral("UPDATE api_keys SET last_used_at = ? WHERE id = ?"), {clock_(), id});
}

QJsonObject ApiKeyStore::toJson(const ApiKeyInfo &k)
{
    auto time = [](qint64 t) {
        return t > 0 ? QJsonValue(QDateTime::fromSecsSinceEpoch(t, Qt::UTC).toString(Qt::ISODate)) : QJsonValue();
    };
    auto limit = [](int v) { return v >= 0 ? QJsonValue(v) : QJsonValue(); };
    return {{QStringLiteral("id"), k.id},
            {QStringLiteral("name"), k.name},
            {QStringLiteral("prefix"), k.prefix},
            {QStringLiteral("scope"), k.scope},
            {QStringLiteral("allow"), k.allow},
            {QStringLiteral("created"), time(k.createdAt)},
            {QStringLiteral("last_used"), time(k.lastUsedAt)},
            {QStringLiteral("expires"), time(k.expiresAt)},
            {QStringLiteral("revoked"), time(k.revokedAt)},
            {QStringLiteral("rotated_to"), k.rotatedTo > 0 ? QJsonValue(k.rotatedTo) : QJsonValue()},
            {QStringLiteral("requests_per_minute"), limit(k.requestsPerMinute)},
            {QStringLiteral("tokens_per_minute"), limit(k.tokensPerMinute)},
            {QStringLiteral("rotation_due"), k.rotationDue}};
}

int ApiKeyStore::rotationDueCount() const
{
    auto keys = list();
    int n = 0;
    if (keys)
        for (const auto &k : keys.value())
            n += k.rotationDue ? 1 : 0;
    return n;
}

} // namespace smartbot
