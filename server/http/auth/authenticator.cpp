#include "http/auth/authenticator.h"

#include <QHash>
#include <QMutex>
#include <algorithm>

#include "core/metrics.h"
#include "core/secret_files.h"
#include "http/protocol/request_helpers.h"
#include "smartbot/common/units.h"

namespace smartbot::http {

namespace {
ApiError forbidden(const QString &code, const QString &message)
{
    return {403, code, message};
}

ApiError tooMany(const QString &code, const QString &message, int retryAfter)
{
    ApiError e{429, code, message};
    e.retryAfterSeconds = retryAfter;
    return e;
}

QString keyActor(const ApiKeyInfo &k)
{
    return QStringLiteral("key %1 (%2)").arg(k.name, k.prefix);
}

Principal keyPrincipal(const ApiKeyInfo &k)
{
    Principal p;
    p.kind = QStringLiteral("key");
    p.subject = QStringLiteral("key:") + k.prefix;
    p.actor = keyActor(k);
    p.scope = k.scope;
    p.keyId = k.id;
    p.requestsPerMinute = k.requestsPerMinute;
    p.tokensPerMinute = k.tokensPerMinute;
    return p;
}

// Whether a key was refused for what the caller sent (unknown, revoked or expired: NotFound; an address outside its
// list: PermissionDenied) rather than because the store behind it failed.
bool refusedCredential(const Error &e)
{
    return e.code == ErrorCode::NotFound || e.code == ErrorCode::PermissionDenied;
}
} // namespace

Authenticator::Authenticator(const ServerConfig &config, std::unique_ptr<Storage> storage, TokenService *tokens,
                             QByteArray adminKeyHash, std::unique_ptr<JwtKeySource> keySource, Clock clock,
                             QByteArray fixedJwtKey)
    : config_(config), storage_(std::move(storage)), writes_(std::make_unique<WriteBatch>(*storage_)), tokens_(tokens),
      adminKeyHash_(std::move(adminKeyHash)), clock_(clock), keys_(*storage_, clock, config.keyRotationDays),
      audit_(*storage_, clock), usage_(*storage_, clock, writes_.get()), ledger_(*storage_, clock),
      adminFailures_(config.adminFailureWindowS, clock), keySource_(std::move(keySource)),
      fixedJwtKey_(std::move(fixedJwtKey))
{
    if (keySource_)
        fixedJwtKey_.clear();
    // Servers sharing a PostgreSQL database hold each client to one limit together.
    for (auto [counter, name] : {std::pair{&requests_, "requests"}, std::pair{&tokenCounts_, "tokens"}})
        if (config.database.isPostgreSql())
            *counter = std::make_unique<SharedRateLimiter>(*storage_, QString::fromLatin1(name), 60, clock);
        else
            *counter = std::make_unique<RateLimiter>(60, clock);
    // So are failed admin credentials from one address: N servers do not give a guesser N times the attempts. The
    // server's own count stays beside it: the admin key is checked without the database, so an outage (or a pool
    // an attacker keeps busy) must not lift the limit.
    if (config.database.isPostgreSql())
        sharedAdminFailures_ = std::make_unique<SharedRateLimiter>(*storage_, QStringLiteral("admin_failures"),
                                                                   config.adminFailureWindowS, clock);
    if (auto a = AddressList::parse(config.allow))
        allow_ = a.value();
    if (auto t = AddressList::parse(config.trustedProxies))
        trustedProxies_ = t.value();
    tokens_->setLeeway(config.leewaySeconds);
    tokens_->setRevocationCheck([this](const QString &jti) { return ledger_.isRevoked(jti); });
    reloadSigningKeys();
    const int due = keys_.rotationDueCount();
    Metrics::instance().setApiKeysRotationDue(due);
    if (due > 0)
        qWarning("%d API key(s) are older than %d days and due for rotation (smartbotd key list; smartbotd key rotate)",
                 due, config.keyRotationDays);
}

void Authenticator::applyConfig(const ServerConfig &config)
{
    const QString dataDir = config_.dataDir;
    const int window = config_.adminFailureWindowS;
    config_ = config;
    config_.dataDir = dataDir;
    config_.adminFailureWindowS = window;
    if (auto a = AddressList::parse(config.allow)) // checked by ServerConfig::parse
        allow_ = a.value();
    if (auto t = AddressList::parse(config.trustedProxies))
        trustedProxies_ = t.value();
    tokens_->setLeeway(config.leewaySeconds);
}

Authenticator::~Authenticator()
{
    tokens_->setRevocationCheck({});
}

void Authenticator::reloadSigningKeys(bool force)
{
    if (!keySource_) { // the caller's key: nothing to reload
        if (keyringStamp_.isEmpty()) {
            tokens_->setKeys(fixedJwtKey_, {});
            keyringStamp_ = QStringLiteral("fixed");
        }
        return;
    }
    if (!force && keySource_->pollMs() > 0 && lastKeyPoll_.isValid() && lastKeyPoll_.elapsed() < keySource_->pollMs())
        return;
    lastKeyPoll_.start();
    auto stamp = keySource_->stamp();
    if (stamp && stamp.value() == keyringStamp_ && !force) {
        keySourceFailing_ = false;
        return;
    }
    auto ring =
        stamp ? keySource_->load(clock_(), retiredKeyAcceptSeconds(config_)) : Result<JwtKeyring>(stamp.failure());
    if (!ring) {
        if (!keySourceFailing_) // once per outage, not once per request
            qWarning("JWT signing keys not reloaded (the ones loaded stay in use): %s", ring.error().c_str());
        keySourceFailing_ = true;
        return;
    }
    keySourceFailing_ = false;
    keyringStamp_ = stamp.value();
    tokens_->setKeys(ring->current, ring->previous);
}

Result<QByteArray> Authenticator::rotateSigningKey()
{
    const qint64 now = clock_();
    const qint64 accept = retiredKeyAcceptSeconds(config_);
    if (keySource_) {
        auto kid = keySource_->rotate(now, accept);
        if (!kid)
            return kid.failure();
        reloadSigningKeys(true);
        qInfo("JWT signing key rotated: new key %s", qPrintable(kid.value()));
        return QByteArray();
    }
    retiredFixedKeys_.erase(std::remove_if(retiredFixedKeys_.begin(), retiredFixedKeys_.end(),
                                           [now](const TokenService::PreviousKey &k) { return k.acceptUntil < now; }),
                            retiredFixedKeys_.end());
    retiredFixedKeys_.push_back({fixedJwtKey_, now + accept});
    fixedJwtKey_ = randomBytes(32);
    tokens_->setKeys(fixedJwtKey_, retiredFixedKeys_);
    qInfo("JWT signing key rotated: new key %s", qPrintable(TokenService::keyId(fixedJwtKey_)));
    return fixedJwtKey_;
}

Result<void> Authenticator::revokeJti(const QString &jti, qint64 expiresAt) const
{
    return ledger_.revoke(jti, expiresAt);
}

QHostAddress Authenticator::clientAddress(const QHttpServerRequest &request) const
{
    const QHostAddress peer = normalizedAddress(request.remoteAddress());
    if (trustedProxies_.isEmpty() || !trustedProxies_.contains(peer))
        return peer;
    // The last hop was added by our trusted proxy; anything before it is the client's own claim.
    const QByteArray forwarded = request.value("X-Forwarded-For");
    const QByteArray last = forwarded.split(',').last().trimmed();
    QHostAddress client;
    if (last.isEmpty() || !client.setAddress(QString::fromLatin1(last)))
        return peer;
    return normalizedAddress(client);
}

std::optional<ApiError> Authenticator::checkNetwork(const QHttpServerRequest &request) const
{
    if (allow_.isEmpty() || allow_.contains(clientAddress(request)))
        return std::nullopt;
    return forbidden(QStringLiteral("address_not_allowed"),
                     QStringLiteral("this address may not use the server ([network] allow)"));
}

void Authenticator::touchKey(qint64 id)
{
    const qint64 now = clock_();
    qint64 &last = lastTouched_[id];
    if (now - last < 60)
        return; // last_used_at is updated at most once a minute per key
    last = now;
    keys_.touch(id);
}

std::optional<ApiError> Authenticator::applyRateLimits(Principal &who)
{
    const int rpm = who.requestsPerMinute >= 0 ? who.requestsPerMinute : config_.requestsPerMinute;
    const int tpm = who.tokensPerMinute >= 0 ? who.tokensPerMinute : config_.tokensPerMinute;
    std::optional<ApiError> refused;
    if (tpm > 0 && tokenCounts_->total(who.subject) >= tpm)
        refused = tooMany(QStringLiteral("rate_limit_exceeded"),
                          QStringLiteral("token limit of %1 per minute reached").arg(tpm),
                          std::max(1, tokenCounts_->retryAfter(who.subject, tpm)));
    if (rpm > 0 && !refused)
        if (const int wait = requests_->hit(who.subject, rpm))
            refused = tooMany(QStringLiteral("rate_limit_exceeded"),
                              QStringLiteral("request limit of %1 per minute reached").arg(rpm), wait);
    // As OpenAI reports them (clients such as the openai SDKs read them to pace themselves); reset = seconds until
    // the window holds nothing of this caller's.
    const auto report = [&](RateCounter &limiter, int limit, const char *what) {
        if (limit <= 0)
            return;
        const qint64 used = limiter.total(who.subject);
        const QByteArray name(what);
        who.rateLimitHeaders.push_back({"x-ratelimit-limit-" + name, QByteArray::number(limit)});
        who.rateLimitHeaders.push_back(
            {"x-ratelimit-remaining-" + name, QByteArray::number(std::max<qint64>(0, limit - used))});
        who.rateLimitHeaders.push_back(
            {"x-ratelimit-reset-" + name, QByteArray::number(used > 0 ? limiter.retryAfter(who.subject, 1) : 0) + "s"});
    };
    report(*requests_, rpm, "requests");
    report(*tokenCounts_, tpm, "tokens");
    return refused;
}

std::optional<ApiError> Authenticator::authenticateChat(const QHttpServerRequest &request, Principal &who)
{
    const QByteArray credential = bearerToken(request);
    if (credential.isEmpty()) {
        Metrics::instance().addAuthFailure();
        return unauthorized(QStringLiteral("missing Authorization: Bearer <token>"));
    }
    if (ApiKeyStore::looksLikeKey(credential)) {
        auto key = keys_.verify(credential, clientAddress(request));
        if (!key) {
            if (const auto &e = key.failure(); !refusedCredential(e))
                return storageFailure(e, serverError(e)); // the database's failure, not the caller's
            Metrics::instance().addAuthFailure();
            const QString message = QString::fromStdString(key.error());
            if (key.code() == ErrorCode::PermissionDenied)
                return forbidden(QStringLiteral("address_not_allowed"), message);
            return unauthorized(message);
        }
        if (key->scope != QLatin1String("chat"))
            return forbidden(QStringLiteral("insufficient_scope"), QStringLiteral("this API key's scope is not chat"));
        who = keyPrincipal(key.value());
        touchKey(key->id);
    } else {
        reloadSigningKeys();
        // A kid this server does not know may be a key another server has just rotated to.
        if (const QString kid = TokenService::keyIdOf(credential);
            keySource_ && keySource_->shared() && !kid.isEmpty() && !tokens_->knowsKeyId(kid) &&
            (!lastForcedPoll_.isValid() || lastForcedPoll_.elapsed() >= kForcedKeyReloadMs)) {
            lastForcedPoll_.start();
            reloadSigningKeys(true);
        }
        auto claims = tokens_->verify(credential);
        if (!claims) {
            if (isStorageOutage(claims.failure()))
                return storageFailure(claims.failure(), {});
            Metrics::instance().addAuthFailure();
            return unauthorized(QString::fromStdString(claims.error()));
        }
        if (claims->scope != QLatin1String("chat"))
            return forbidden(QStringLiteral("insufficient_scope"), QStringLiteral("this token's scope is not chat"));
        who.kind = QStringLiteral("jwt");
        who.subject = QStringLiteral("user:") + claims->subject;
        who.actor = QStringLiteral("user ") + claims->subject;
        who.scope = claims->scope;
    }
    if (auto e = applyRateLimits(who))
        return e;
    usage_.add(who.subject, 1, 0, 0);
    return std::nullopt;
}

std::optional<ApiError> Authenticator::adminFailure(const QString &address, ApiError error)
{
    Metrics::instance().addAuthFailure();
    adminFailures_.add(address);
    if (sharedAdminFailures_)
        sharedAdminFailures_->add(address);
    qWarning("refused admin credentials from %s (%s)", qPrintable(address), qPrintable(error.message));
    return error;
}

std::optional<ApiError> Authenticator::authenticateAdmin(const QHttpServerRequest &request, Principal &who)
{
    reloadSigningKeys(); // POST /admin/token signs with the newest key
    const QString address = clientAddress(request).toString();
    if (const int wait =
            std::max(adminFailures_.retryAfter(address, config_.adminMaxFailures),
                     sharedAdminFailures_ ? sharedAdminFailures_->retryAfter(address, config_.adminMaxFailures) : 0))
        return tooMany(QStringLiteral("too_many_failures"),
                       QStringLiteral("too many failed admin credentials from this address; try again later"), wait);
    const QByteArray key = request.value("X-API-Key");
    if (key.isEmpty())
        return adminFailure(address, unauthorized(QStringLiteral("missing or wrong X-API-Key admin key")));
    if (constantTimeEquals(sha256(key), adminKeyHash_)) {
        who = Principal{};
        who.kind = QStringLiteral("admin key");
        who.subject = QStringLiteral("admin");
        who.actor = QStringLiteral("admin key");
        who.scope = QStringLiteral("admin");
        return std::nullopt;
    }
    if (!ApiKeyStore::looksLikeKey(key))
        return adminFailure(address, unauthorized(QStringLiteral("missing or wrong X-API-Key admin key")));
    auto k = keys_.verify(key, clientAddress(request));
    if (!k) {
        if (const auto &e = k.failure(); !refusedCredential(e))
            return storageFailure(e, serverError(e)); // not a failed credential: no failure counted
        const QString message = QString::fromStdString(k.error());
        if (k.code() == ErrorCode::PermissionDenied)
            return adminFailure(address, forbidden(QStringLiteral("address_not_allowed"), message));
        return adminFailure(address, unauthorized(message));
    }
    if (k->scope != QLatin1String("admin"))
        return forbidden(QStringLiteral("insufficient_scope"), QStringLiteral("this API key's scope is not admin"));
    who = keyPrincipal(k.value());
    touchKey(k->id);
    return std::nullopt;
}

void Authenticator::audit(const Principal &who, const QHttpServerRequest &request, const QString &action,
                          const QString &detail) const
{
    audit_.record(who.actor, clientAddress(request).toString(), action, detail);
}

void Authenticator::recordTokens(const QString &subject, qint64 promptTokens, qint64 generatedTokens)
{
    tokenCounts_->add(subject, promptTokens + generatedTokens);
    usage_.add(subject, 0, promptTokens, generatedTokens);
}

} // namespace smartbot::http
