#include "relay/upstream_call.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslConfiguration>
#include <algorithm>

#include "core/metrics.h"
#include "relay/provider_state.h"

namespace smartbot::relay {

namespace {

constexpr qsizetype kMaxErrorBody = 64 * 1024;
constexpr int kBackoffMs = 250; // first retry; doubled each time
constexpr int kMaxBackoffMs = 2000;
constexpr int kMaxRetryAfterWaitS = 2; // a 429 asking for longer is passed on to the client instead of waited out

// Retry-After: delay-seconds or an HTTP date; -1 when absent or unreadable.
int retryAfterSeconds(const QByteArray &value)
{
    if (value.isEmpty())
        return -1;
    bool ok = false;
    const int s = value.trimmed().toInt(&ok);
    if (ok)
        return std::max(s, 0);
    const QDateTime when = QDateTime::fromString(QString::fromLatin1(value.trimmed()), Qt::RFC2822Date);
    return when.isValid() ? int(std::max<qint64>(QDateTime::currentDateTimeUtc().secsTo(when), 0)) : -1;
}

// The message of an OpenAI-style error body ({"error": {"message"}} or {"error": "..."}), one line, at most 300
// characters, with the platform key blanked out should the provider quote it back. Empty when there is none.
QString upstreamMessage(const QByteArray &body, const QByteArray &key)
{
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    const QJsonValue e = o.value(QStringLiteral("error"));
    QString text = e.isObject() ? e.toObject().value(QStringLiteral("message")).toString() : e.toString();
    if (text.isEmpty())
        text = o.value(QStringLiteral("message")).toString();
    if (!key.isEmpty())
        text.replace(QString::fromLatin1(key), QStringLiteral("[key]"));
    text = text.simplified();
    if (text.size() > 300)
        text = text.left(300) + QStringLiteral("…");
    return text;
}

} // namespace

UpstreamCall::UpstreamCall(ProviderState *provider, Method method, QString path, QByteArray body,
                           RelayHandlers handlers, QObject *parent)
    : QObject(parent), provider_(provider), method_(method), path_(std::move(path)), body_(std::move(body)),
      handlers_(std::move(handlers))
{
    timer_.setSingleShot(true);
    connect(&timer_, &QTimer::timeout, this, &UpstreamCall::onTimeout);
}

UpstreamCall::~UpstreamCall()
{
    if (reply_) {
        reply_->disconnect(this);
        reply_->abort();
        reply_->deleteLater();
    }
    release();
}

QString UpstreamCall::describe() const
{
    QString where;
    if (endpoint_ >= 0) {
        const QUrl &u = provider_->config.baseUrls[endpoint_];
        where = QStringLiteral(" (%1:%2)").arg(u.host()).arg(u.port(u.scheme() == QLatin1String("https") ? 443 : 80));
    }
    return QStringLiteral("provider '%1'%2").arg(provider_->config.name, where);
}

void UpstreamCall::start()
{
    startedAtMs_ = provider_->nowMs();
    tried_.assign(provider_->outstanding.size(), false);
    if (!probe_) { // a health check or a model listing is not a client's request
        ++provider_->inFlight;
        counted_ = true;
    }
    attempt();
}

void UpstreamCall::release()
{
    if (endpoint_ >= 0 && size_t(endpoint_) < provider_->outstanding.size() && reply_)
        endAttemptCounts();
    if (counted_) {
        --provider_->inFlight;
        counted_ = false;
    }
}

void UpstreamCall::endAttemptCounts()
{
    --provider_->outstanding[size_t(endpoint_)];
    provider_->networks.release(networkSlot_);
    networkSlot_ = -1;
}

void UpstreamCall::attempt()
{
    if (provider_->key.isEmpty())
        return fail({RelayError::Kind::KeyRefused, QStringLiteral("provider '%1' has no platform key: %2")
                                                       .arg(provider_->config.name, provider_->keyProblem)},
                    false);
    endpoint_ = pinned_ >= 0 ? pinned_ : provider_->pickEndpoint(tried_);
    tried_[size_t(endpoint_)] = true;
    ++provider_->outstanding[size_t(endpoint_)];
    connected_ = timedOut_ = false;
    errorBody_.clear();
    QUrl url = provider_->config.baseUrls[endpoint_];
    url.setPath(url.path() + path_);
    QNetworkRequest request(url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    // No cookies either way: what one client's request set must not ride along with another's.
    request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    request.setRawHeader("Authorization", "Bearer " + provider_->key);
    request.setRawHeader("Accept", "application/json, text/event-stream");
    request.setRawHeader("User-Agent", "SmartBot relay");
    if (!provider_->caCertificates.isEmpty() && url.scheme() == QLatin1String("https")) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.addCaCertificates(provider_->caCertificates);
        request.setSslConfiguration(tls);
    }
    const NetworkPool::Lease lease = provider_->networks.acquire();
    networkSlot_ = lease.slot;
    if (method_ == Method::Post) {
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        reply_ = lease.network->post(request, body_);
    } else {
        reply_ = lease.network->get(request);
    }
    connect(reply_, &QNetworkReply::requestSent, this, [this] {
        connected_ = true; // now the provider's turn: timeout_s of silence at most
        timer_.start(provider_->config.timeoutS * 1000);
    });
    connect(reply_, &QNetworkReply::metaDataChanged, this, &UpstreamCall::onHead);
    connect(reply_, &QNetworkReply::readyRead, this, &UpstreamCall::onData);
    connect(reply_, &QNetworkReply::finished, this, &UpstreamCall::onFinished);
    timer_.start(provider_->config.connectTimeoutS * 1000);
}

void UpstreamCall::onHead()
{
    if (!reply_ || started_)
        return;
    const int status = reply_->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status < 200 || status >= 300)
        return; // read to the end, then judged in onFinished
    started_ = true;
    connected_ = true;
    timer_.start(provider_->config.timeoutS * 1000);
    markHealth(true);
    if (!probe_)
        provider_->breaker.succeeded(trial_);
    if (handlers_.started)
        handlers_.started();
}

void UpstreamCall::onData()
{
    if (!reply_ || done_)
        return;
    timer_.start(provider_->config.timeoutS * 1000);
    if (!started_) {
        onHead();
        if (done_ || !reply_) // the started handler cancelled the call
            return;
        if (!started_) {
            errorBody_ += reply_->read(kMaxErrorBody - errorBody_.size());
            reply_->readAll(); // the rest of an oversized error body is dropped
            return;
        }
    }
    const QByteArray bytes = reply_->readAll();
    if (!bytes.isEmpty() && handlers_.data)
        handlers_.data(bytes);
}

void UpstreamCall::onTimeout()
{
    if (!reply_)
        return;
    timedOut_ = true;
    reply_->abort(); // finished follows (synchronously or queued), with OperationCanceledError
}

void UpstreamCall::onFinished()
{
    if (!reply_ || done_)
        return;
    timer_.stop();
    QNetworkReply *reply = reply_;
    onData(); // whatever is left
    if (done_)
        return;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QNetworkReply::NetworkError error = reply->error();
    const QByteArray retryAfter = reply->rawHeader("Retry-After");
    const QString errorText = reply->errorString();
    endAttemptCounts();
    reply->disconnect(this);
    reply->deleteLater();
    reply_ = nullptr;

    using Kind = RelayError::Kind;
    const QString who = describe();
    if (started_) {
        if (timedOut_)
            return fail(
                {Kind::StreamCut,
                 QStringLiteral("%1 sent nothing for %2 s and was cut off").arg(who).arg(provider_->config.timeoutS)},
                false);
        if (error != QNetworkReply::NoError)
            return fail({Kind::StreamCut, QStringLiteral("%1 ended its answer early (%2)").arg(who, errorText)}, false);
        done_ = true;
        if (!probe_)
            record(QStringLiteral("ok"));
        release();
        if (handlers_.finished)
            handlers_.finished();
        deleteLater();
        return;
    }
    if (timedOut_) {
        noConnection_ = !connected_;
        if (!connected_)
            return fail({Kind::Timeout, QStringLiteral("%1 did not accept a connection within %2 s")
                                            .arg(who)
                                            .arg(provider_->config.connectTimeoutS)},
                        true);
        return fail(
            {Kind::Timeout, QStringLiteral("%1 did not answer within %2 s").arg(who).arg(provider_->config.timeoutS)},
            false); // it may still be working on it: a second try would pay twice
    }
    if (status == 0 && connected_) // it had the request: retrying could make (and bill) it twice
        return fail(
            {Kind::Upstream, QStringLiteral("%1 closed the connection before answering (%2)").arg(who, errorText)},
            false);
    if (status == 0) {
        noConnection_ = true;
        const bool tls = error == QNetworkReply::SslHandshakeFailedError; // a configuration problem: no retry
        return fail({Kind::Unreachable, QStringLiteral("%1 could not be reached: %2").arg(who, errorText)}, !tls);
    }
    const QString said = upstreamMessage(errorBody_, provider_->key);
    const QString detail = said.isEmpty() ? QString() : QStringLiteral(": ") + said;
    if (status == 429) {
        RelayError e{Kind::RateLimited, QStringLiteral("%1 is rate limiting (HTTP 429)%2").arg(who, detail), status};
        e.retryAfterS = retryAfterSeconds(retryAfter);
        return fail(e, e.retryAfterS <= kMaxRetryAfterWaitS);
    }
    if (status == 401 || status == 403)
        return fail({Kind::KeyRefused,
                     QStringLiteral("%1 refused the platform key (HTTP %2); set a valid one with: smartbotd provider "
                                    "set-key %3")
                         .arg(who)
                         .arg(status)
                         .arg(provider_->config.name),
                     status},
                    false);
    if (status >= 300 && status < 400)
        return fail({Kind::Upstream,
                     QStringLiteral("%1 answered with a redirect (HTTP %2); redirects are not followed: set base_url "
                                    "to the final address")
                         .arg(who)
                         .arg(status),
                     status},
                    false);
    if (status >= 400 && status < 500)
        return fail({Kind::BadRequest,
                     said.isEmpty() ? QStringLiteral("%1 refused the request (HTTP %2)").arg(who).arg(status) : said,
                     status},
                    false);
    // 502 and 503 say the request did not get through (a gateway without a backend, an overloaded server); a 500 or
    // a 504 may come after the work was done, and a retry could make and bill it twice.
    fail({Kind::Upstream, QStringLiteral("%1 answered HTTP %2%3").arg(who).arg(status).arg(detail), status},
         status == 502 || status == 503);
}

void UpstreamCall::fail(const RelayError &error, bool retryable)
{
    using Kind = RelayError::Kind;
    // Only failures of the provider count against it: a client's bad request or a rate limit says it is up.
    const bool providerFault = error.kind == Kind::Unreachable || error.kind == Kind::Timeout ||
                               error.kind == Kind::StreamCut || error.kind == Kind::Upstream;
    const bool noConnection = noConnection_;
    noConnection_ = false;
    if (noConnection || (pinned_ >= 0 && providerFault)) // a health check's verdict is the health mark
        markHealth(false);
    if (probe_) {
        done_ = true;
        release();
        if (handlers_.failed)
            handlers_.failed(error);
        deleteLater();
        return;
    }
    // Another base_url of a fleet not tried yet: at once, not counted as a retry (this one never got the request).
    if (retryable && !started_ && noConnection && std::find(tried_.begin(), tried_.end(), false) != tried_.end()) {
        QTimer::singleShot(0, this, [this] {
            if (!done_)
                attempt();
        });
        return;
    }
    if (retryable && retriesUsed_ < provider_->config.retries && !started_) {
        int waitMs = std::min(kBackoffMs << retriesUsed_, kMaxBackoffMs);
        ++retriesUsed_;
        std::fill(tried_.begin(), tried_.end(), false);
        if (tried_.size() > 1) // the next base_url first
            tried_[size_t(endpoint_)] = true;
        if (error.kind == Kind::RateLimited && error.retryAfterS >= 0)
            waitMs = std::max(waitMs, error.retryAfterS * 1000);
        QTimer::singleShot(waitMs, this, [this] {
            if (!done_)
                attempt();
        });
        return;
    }
    done_ = true;
    if (providerFault)
        provider_->breaker.failed(provider_->nowMs(), trial_);
    else if (error.kind == Kind::BadRequest)
        provider_->breaker.succeeded(trial_);
    else
        provider_->breaker.abandoned(trial_);
    static const struct {
        Kind kind;
        const char *outcome;
    } outcomes[] = {{Kind::Unreachable, "unreachable"},  {Kind::Timeout, "timeout"},
                    {Kind::RateLimited, "rate_limited"}, {Kind::KeyRefused, "key_refused"},
                    {Kind::BadRequest, "bad_request"},   {Kind::Upstream, "upstream_error"},
                    {Kind::StreamCut, "stream_cut"},     {Kind::Busy, "busy"},
                    {Kind::CircuitOpen, "circuit_open"}};
    for (const auto &o : outcomes)
        if (o.kind == error.kind)
            record(QLatin1String(o.outcome));
    release();
    if (handlers_.failed)
        handlers_.failed(error);
    deleteLater();
}

void UpstreamCall::cancel()
{
    if (done_)
        return;
    done_ = true;
    timer_.stop();
    if (reply_) {
        endAttemptCounts();
        reply_->disconnect(this);
        reply_->abort();
        reply_->deleteLater();
        reply_ = nullptr;
    }
    if (!probe_) {
        if (!started_)
            provider_->breaker.abandoned(trial_);
        record(QStringLiteral("cancelled"));
    }
    release();
    deleteLater();
}

void UpstreamCall::markHealth(bool up)
{
    if (endpoint_ < 0 || provider_->healthy[size_t(endpoint_)] == up)
        return;
    provider_->healthy[size_t(endpoint_)] = up;
    provider_->downAtMs[size_t(endpoint_)] = up ? -1 : provider_->nowMs();
    const QString url = provider_->config.baseUrls[endpoint_].toString();
    if (up)
        qInfo("provider %s: %s is reachable again", qPrintable(provider_->config.name), qPrintable(url));
    else
        qWarning("provider %s: %s is unreachable; requests go to its other base_urls until a health check passes",
                 qPrintable(provider_->config.name), qPrintable(url));
}

void UpstreamCall::record(const QString &outcome)
{
    Metrics::instance().observeProviderRequest(provider_->config.name, outcome,
                                               double(provider_->nowMs() - startedAtMs_) / 1000.0);
}

} // namespace smartbot::relay
