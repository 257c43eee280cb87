// Authenticator: who is calling, from where, and may they. One per running server, passed to the route handlers in
// their RouteContext; authenticateChat()/authenticateAdmin() return the caller as a Principal, and the object keeps
// no per-request state. Threading: the server thread only.
//  - client address: the peer, or the last X-Forwarded-For hop when the peer is a [network] trusted_proxies entry;
//  - [network] allow: checked at request start (403);
//  - chat credentials: a JWT (scope chat, not revoked) or an API key of scope chat (IP allow list, expiry);
//  - admin credentials: the foundation admin key or an API key of scope admin, in X-API-Key; repeated failures
//    from one address get 429 + Retry-After (counted across the servers of a shared PostgreSQL database);
//  - rate limits per key/subject ([limits] requests_per_minute, tokens_per_minute, per-key overrides) and usage.
// API keys, revoked jtis, usage and the audit log are read from Storage on each request, so changes made by the
// smartbotd CLI take effect at once; JWT signing keys come from a JwtKeySource (core/jwt_key_source.h: auth/, or the
// shared database) and are reloaded when it changes (at most every pollMs(), and at once for an unknown kid when the
// keys are shared).
#pragma once

#include <QElapsedTimer>
#include <QHostAddress>
#include <QHttpServerRequest>
#include <QString>
#include <memory>
#include <optional>

#include "core/address_list.h"
#include "core/api_keys.h"
#include "core/audit_log.h"
#include "core/jwt_key_source.h"
#include "core/rate_limiter.h"
#include "core/shared_rate_limiter.h"
#include "core/server_config.h"
#include "core/storage.h"
#include "core/token_service.h"
#include "core/token_ledger.h"
#include "core/usage_store.h"
#include "core/write_batch.h"
#include "http/protocol/api_error.h"

namespace smartbot::http {

struct Principal {
    QString kind;    // "jwt", "key" or "admin key"
    QString subject; // usage/rate-limit subject: "user:<sub>" or "key:<prefix>"
    QString actor;   // for the audit log: "admin key", "key <name> (<prefix>)", "user <sub>"
    QString scope;
    qint64 keyId = 0;
    int requestsPerMinute = -1; // per-key override
    int tokensPerMinute = -1;
    // OpenAI's x-ratelimit-{limit,remaining,reset}-{requests,tokens} for the limits that apply (none when off).
    Headers rateLimitHeaders;
};

class Authenticator {
public:
    // keySource: where the JWT signing keys live; null = fixedJwtKey is the only one (the app's keychain, for this
    // server alone).
    Authenticator(const ServerConfig &config, std::unique_ptr<Storage> storage, TokenService *tokens,
                  QByteArray adminKeyHash, std::unique_ptr<JwtKeySource> keySource, Clock clock = systemClock(),
                  QByteArray fixedJwtKey = {});
    ~Authenticator();
    Authenticator(const Authenticator &) = delete;
    Authenticator &operator=(const Authenticator &) = delete;

    QHostAddress clientAddress(const QHttpServerRequest &request) const;
    // 403 when the client is not in [network] allow.
    std::optional<ApiError> checkNetwork(const QHttpServerRequest &request) const;
    // Chat routes: Authorization: Bearer <JWT or chat key>; rate limits; counts the request in usage.
    std::optional<ApiError> authenticateChat(const QHttpServerRequest &request, Principal &who);
    // Admin routes: X-API-Key: <admin key or admin-scope key>.
    std::optional<ApiError> authenticateAdmin(const QHttpServerRequest &request, Principal &who);

    void audit(const Principal &who, const QHttpServerRequest &request, const QString &action,
               const QString &detail = {}) const;
    // Tokens of a finished generation, for usage and tokens_per_minute.
    void recordTokens(const QString &subject, qint64 promptTokens, qint64 generatedTokens);
    Result<void> revokeJti(const QString &jti, qint64 expiresAt) const;
    // A new JWT signing key from now on; tokens signed with the old one stay valid until they expire (the old key
    // is accepted for [auth] max_token_hours + leeway). Keys from a JwtKeySource (auth/ or the shared database):
    // they are rotated there, and the result is empty. A key given by the caller (the app's keychain): the new key is
    // returned for the caller to store, and the old one is accepted only while this server runs.
    Result<QByteArray> rotateSigningKey();
    // A reloaded server.conf (SmartbotServer::reload): the allow list, trusted proxies, rate limits, token lifetimes,
    // leeway and admin failure limit from now on. The data folder and the failure window stay as started.
    void applyConfig(const ServerConfig &config);

    const ApiKeyStore &keys() const { return keys_; }
    const AuditLog &auditLog() const { return audit_; }
    const UsageStore &usage() const { return usage_; }
    const TokenLedger &tokenLedger() const { return ledger_; }
    const ServerConfig &config() const { return config_; }
    const Storage &storage() const { return *storage_; }
    WriteBatch &writes() const { return *writes_; } // the server's batched writes, committed on this thread
    const TokenService &tokens() const { return *tokens_; }

private:
    // Loads the signing keys again when their source changed; asks it at most every pollMs() unless forced.
    void reloadSigningKeys(bool force = false);
    std::optional<ApiError> adminFailure(const QString &address, ApiError error);
    std::optional<ApiError> applyRateLimits(Principal &who);
    void touchKey(qint64 id);

    ServerConfig config_;
    std::unique_ptr<Storage> storage_;
    std::unique_ptr<WriteBatch> writes_; // usage here, turns in the server's ConversationStore (write_batch.h)
    TokenService *tokens_;
    QByteArray adminKeyHash_;
    Clock clock_;
    ApiKeyStore keys_;
    AuditLog audit_;
    UsageStore usage_;
    TokenLedger ledger_;
    AddressList allow_;
    AddressList trustedProxies_;
    // requests/tokens per minute: in memory, or shared through the database when it is PostgreSQL (rate_counter.h)
    std::unique_ptr<RateCounter> requests_;
    std::unique_ptr<RateCounter> tokenCounts_;
    RateLimiter adminFailures_;                        // per client address, this server's own
    std::unique_ptr<RateCounter> sharedAdminFailures_; // the same across the servers of a PostgreSQL database
    QHash<qint64, qint64> lastTouched_;
    std::unique_ptr<JwtKeySource> keySource_;
    QString keyringStamp_;
    QElapsedTimer lastKeyPoll_; // the last stamp() asked of keySource_
    // A token's unknown kid makes the server look at once, but at most this often: a flood of made-up kids costs
    // the database ten reads a second.
    static constexpr int kForcedKeyReloadMs = 100;
    QElapsedTimer lastForcedPoll_;  // the last look asked for by an unknown kid
    bool keySourceFailing_ = false; // warned once until it answers again
    QByteArray fixedJwtKey_; // set: the only JWT signing key (from the caller, e.g. the GUI's keychain); auth/ unused
    QList<TokenService::PreviousKey> retiredFixedKeys_; // fixed keys rotated away while running
};

} // namespace smartbot::http
