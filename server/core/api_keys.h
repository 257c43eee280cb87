// ApiKeyStore: API keys in Storage. A key is "sb_" + base64url(32 random bytes), shown once at creation; only its
// SHA-256 and a short visible prefix are stored. Scopes: "chat" (chat APIs) and "admin" (admin routes). A key may
// carry an IP allow list (CIDR), an expiry and per-key rate limits. Rotation issues a new key and keeps the old one
// valid for a grace period; a key is "rotation due" once it is older than [auth] key_rotation_days.
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QJsonObject>
#include <QList>
#include <QString>

#include "core/clock.h"
#include "core/storage.h"

namespace smartbot {

struct ApiKeyInfo {
    qint64 id = 0;
    QString name;
    QString prefix; // the first characters of the key, for listing and for naming it (never the whole key)
    QString scope;  // "chat" or "admin"
    QString allow;  // IP allow list ("" = any address)
    qint64 createdAt = 0;
    qint64 lastUsedAt = 0;      // 0 = never
    qint64 expiresAt = 0;       // 0 = never
    qint64 revokedAt = 0;       // 0 = not revoked; in the future = rotated, valid until then
    qint64 rotatedTo = 0;       // id of the key that replaced this one
    int requestsPerMinute = -1; // -1 = the [limits] default
    int tokensPerMinute = -1;
    bool rotationDue = false;
};

struct CreatedKey {
    QByteArray key; // the secret: show once, never log
    ApiKeyInfo info;
};

struct NewKeyOptions {
    QString name;
    QString scope = QStringLiteral("chat");
    int expiresDays = 0; // 0 = never
    QString allow;       // CIDR list
    int requestsPerMinute = -1;
    int tokensPerMinute = -1;
};

class ApiKeyStore {
public:
    static constexpr const char *kKeyPrefix = "sb_";
    static constexpr int kVisiblePrefix = 11; // "sb_" + 8 characters

    explicit ApiKeyStore(const Storage &storage, Clock clock = systemClock(), int rotationDays = 90);

    // Errors: InvalidArgument (a bad option, a ref naming several keys, a key already revoked), NotFound (no such
    // key; verify: unknown, revoked or expired), PermissionDenied (verify: not from this address), else the
    // database's (Storage: an outage is Unavailable or Busy).

    Result<CreatedKey> create(const NewKeyOptions &options) const;
    Result<QList<ApiKeyInfo>> list() const;
    // ref: the numeric id or the visible prefix.
    Result<ApiKeyInfo> find(const QString &ref) const;
    Result<ApiKeyInfo> revoke(const QString &ref) const;
    // New key with the same name/scope/allow list/limits; the old one stays valid for graceHours.
    Result<CreatedKey> rotate(const QString &ref, int graceHours) const;
    // The key's record when it is known, not revoked (grace included) and not expired; the error says why not.
    // client: checked against the key's allow list (null: not checked).
    Result<ApiKeyInfo> verify(const QByteArray &key, const QHostAddress &client) const;
    void touch(qint64 id) const; // last used = now
    int rotationDueCount() const;

    static bool looksLikeKey(const QByteArray &credential);
    // For listings (never holds the key): id, name, prefix, scope, allow, created, last_used, expires, revoked,
    // rotated_to, rate limits, rotation_due (times as ISO 8601 UTC, null when unset).
    static QJsonObject toJson(const ApiKeyInfo &key);

private:
    ApiKeyInfo fromQuery(const Storage::Query &q) const;
    const Storage &storage_;
    Clock clock_;
    int rotationDays_;
};

} // namespace smartbot
