#include "relay/provider_relay.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "core/metrics.h"

namespace smartbot::relay {

namespace {
constexpr int kDiscoverIntervalMs = 10 * 60 * 1000;
} // namespace

ProviderRelay::ProviderRelay(const std::vector<ProviderConfig> &providers, const QString &configDir,
                             const QMap<QString, ProviderKey> &keys, Mode mode, QObject *parent)
    : QObject(parent), mode_(mode)
{
    for (const ProviderConfig &config : providers) {
        auto p = std::make_unique<ProviderState>(config);
        p->clock.start();
        if (keys.contains(config.name)) {
            p->key = keys.value(config.name).key;
            p->keySetAt = keys.value(config.name).setAt;
            keysFromCaller_ << config.name;
        } else {
            readKey(*p, configDir);
        }
        if (!config.caFile.isEmpty()) {
            p->caCertificates = QSslCertificate::fromPath(config.caFile, QSsl::Pem);
            if (p->caCertificates.isEmpty())
                qWarning("provider %s: ca_file %s holds no PEM certificate", qPrintable(config.name),
                         qPrintable(config.caFile));
        }
        QStringList urls;
        for (const QUrl &u : config.baseUrls)
            urls << u.toString();
        qInfo("provider %s: %s, models %s", qPrintable(config.name), qPrintable(urls.join(QStringLiteral(", "))),
              config.discoverModels ? "* (asked from the provider)"
                                    : qPrintable(config.models.join(QStringLiteral(", "))));
        providers_.push_back(std::move(p));
    }
    if (mode_ == Mode::OneShot)
        return; // no model listing, no health checks, nothing in the server's metrics
    discoverTimer_.setInterval(kDiscoverIntervalMs);
    connect(&discoverTimer_, &QTimer::timeout, this, &ProviderRelay::discover);
    if (std::any_of(providers_.begin(), providers_.end(), [](const auto &p) { return p->config.discoverModels; })) {
        discoverTimer_.start();
        QTimer::singleShot(0, this, &ProviderRelay::discover);
    }
    for (const auto &p : providers_) {
        if (p->config.baseUrls.size() < 2 || p->config.healthCheckS == 0)
            continue;
        auto timer = std::make_unique<QTimer>();
        timer->setInterval(p->config.healthCheckS * 1000);
        connect(timer.get(), &QTimer::timeout, this, [this, state = p.get()] { probe(state); });
        timer->start();
        healthTimers_.push_back(std::move(timer));
    }
    publishMetrics();
}

void ProviderRelay::probe(ProviderState *p)
{
    for (int i = 0; i < int(p->config.baseUrls.size()); ++i) {
        if (p->probing[size_t(i)]) // the last one has not ended (a slow server): no pile of them
            continue;
        p->probing[size_t(i)] = true;
        RelayHandlers h;
        h.finished = [this, p, i] {
            p->probing[size_t(i)] = false;
            publishMetrics();
        };
        h.failed = [this, p, i](const RelayError &) {
            p->probing[size_t(i)] = false;
            publishMetrics();
        };
        auto *call = new UpstreamCall(p, UpstreamCall::Method::Get, QStringLiteral("/models"), {}, std::move(h), this);
        call->setProbe();
        call->pinEndpoint(i);
        call->start();
    }
}

ProviderRelay::~ProviderRelay()
{
    // Calls in flight go first: they refer to the provider states.
    for (UpstreamCall *call : findChildren<UpstreamCall *>(QString(), Qt::FindDirectChildrenOnly))
        delete call;
}

bool ProviderRelay::readKey(ProviderState &p, const QString &configDir)
{
    const QByteArray before = p.key;
    if (auto key = readProviderKey(configDir, p.config.name); key) {
        p.key = key->key;
        p.keySetAt = key->setAt;
        p.keyProblem.clear();
    } else {
        p.key.clear();
        p.keyProblem = QString::fromStdString(key.error());
        qWarning("provider %s: %s", qPrintable(p.config.name), qPrintable(p.keyProblem));
    }
    return p.key != before;
}

QStringList ProviderRelay::reloadKeys(const QString &configDir)
{
    QStringList changed;
    for (const auto &p : providers_)
        if (!keysFromCaller_.contains(p->config.name) && readKey(*p, configDir))
            changed << p->config.name;
    return changed;
}

std::optional<Result<ProviderRelay::Target>> ProviderRelay::resolve(const QString &name) const
{
    for (const auto &p : providers_) // a provider's alias ([provider.NAME] aliases), checked against models at start
        if (const QString model = resolveModelAlias(p->config.aliases, name); !model.isEmpty())
            return Result<Target>(Target{p.get(), model});
    const qsizetype slash = name.indexOf(QLatin1Char('/'));
    if (slash <= 0)
        return std::nullopt;
    const QString provider = name.left(slash), model = name.mid(slash + 1);
    for (const auto &p : providers_) {
        if (p->config.name != provider)
            continue;
        if (model.isEmpty() || !p->config.serves(model))
            return Result<Target>(makeError(QStringLiteral("provider '%1' serves no model '%2' here (its models: %3)")
                                                .arg(provider, model, p->config.models.join(QStringLiteral(", ")))
                                                .toStdString(),
                                            ErrorCode::NotFound));
        return Result<Target>(Target{p.get(), model});
    }
    return std::nullopt;
}

QPointer<UpstreamCall> ProviderRelay::post(const Target &target, const QString &path, const QByteArray &body,
                                           RelayHandlers handlers)
{
    ProviderState *p = target.provider;
    const auto refuse = [&](RelayError e, const char *outcome) {
        Metrics::instance().observeProviderRequest(p->config.name, QLatin1String(outcome), 0);
        publishMetrics();
        if (handlers.failed)
            handlers.failed(e);
        return QPointer<UpstreamCall>();
    };
    if (p->inFlight >= p->config.maxConcurrent) {
        RelayError e{RelayError::Kind::Busy, QStringLiteral("provider '%1' has %2 requests in flight, its "
                                                            "max_concurrent; try again shortly")
                                                 .arg(p->config.name)
                                                 .arg(p->config.maxConcurrent)};
        e.retryAfterS = 1;
        return refuse(e, "busy");
    }
    const CircuitBreaker::Admission admission = p->breaker.allow(p->nowMs());
    if (admission == CircuitBreaker::Admission::Refused) {
        RelayError e{RelayError::Kind::CircuitOpen,
                     QStringLiteral("provider '%1' failed %2 times in a row; requests to it pause until a trial after "
                                    "the cool-down succeeds")
                         .arg(p->config.name)
                         .arg(p->config.breakerFailures)};
        e.retryAfterS = int((p->breaker.retryAfterMs(p->nowMs()) + 999) / 1000);
        return refuse(e, "circuit_open");
    }
    // The breaker's state moves as calls end: publish it then.
    auto finish = [this, f = std::move(handlers.finished)] {
        publishMetrics();
        if (f)
            f();
    };
    auto failed = [this, f = std::move(handlers.failed)](const RelayError &e) {
        publishMetrics();
        if (f)
            f(e);
    };
    handlers.finished = std::move(finish);
    handlers.failed = std::move(failed);
    auto *call = new UpstreamCall(p, UpstreamCall::Method::Post, path, body, std::move(handlers), this);
    call->setTrial(admission == CircuitBreaker::Admission::Trial);
    call->start();
    return call;
}

std::vector<ProviderRelay::Listed> ProviderRelay::models() const
{
    std::vector<Listed> out;
    for (const auto &p : providers_) {
        for (const QString &m : p->config.discoverModels ? p->discovered : p->config.models)
            out.push_back({p->config.name + QLatin1Char('/') + m, p->config.name});
        for (const auto &[alias, unused] : p->config.aliases)
            out.push_back({alias, p->config.name});
    }
    return out;
}

std::vector<ProviderRelay::Status> ProviderRelay::status() const
{
    std::vector<Status> out;
    for (const auto &p : providers_) {
        Status s{p->config.name, {}, !p->key.isEmpty(), p->keySetAt, p->inFlight, p->breaker.state(p->nowMs())};
        for (const QUrl &u : p->config.baseUrls)
            s.baseUrls << u.toString();
        out.push_back(s);
    }
    return out;
}

std::vector<ProviderConfig> ProviderRelay::configs() const
{
    std::vector<ProviderConfig> out;
    for (const auto &p : providers_)
        out.push_back(p->config);
    return out;
}

void ProviderRelay::listUpstreamModels(const QString &provider, std::function<void(const Result<QStringList> &)> done)
{
    ProviderState *p = nullptr;
    for (const auto &s : providers_)
        if (s->config.name == provider)
            p = s.get();
    if (!p)
        return done(makeError("no [provider." + provider.toStdString() + "] in server.conf", ErrorCode::NotFound));
    auto body = std::make_shared<QByteArray>();
    RelayHandlers h;
    h.data = [body](const QByteArray &bytes) {
        if (body->size() < 16 * 1024 * 1024)
            *body += bytes;
    };
    h.finished = [body, done, this] {
        QStringList ids;
        for (const QJsonValue &m : QJsonDocument::fromJson(*body).object().value(QStringLiteral("data")).toArray())
            if (const QString id = m.toObject().value(QStringLiteral("id")).toString(); !id.isEmpty())
                ids << id;
        publishMetrics();
        done(ids);
    };
    h.failed = [done, this](const RelayError &e) {
        publishMetrics();
        done(makeError(e.message.toStdString(), ErrorCode::Unavailable));
    };
    auto *call = new UpstreamCall(p, UpstreamCall::Method::Get, QStringLiteral("/models"), {}, std::move(h), this);
    call->setProbe();
    call->start();
}

void ProviderRelay::discover()
{
    for (const auto &p : providers_) {
        if (!p->config.discoverModels || p->key.isEmpty())
            continue;
        listUpstreamModels(p->config.name, [state = p.get()](const Result<QStringList> &ids) {
            if (ids)
                state->discovered = ids.value();
            else
                qWarning("provider %s: cannot list its models: %s", qPrintable(state->config.name),
                         ids.error().c_str());
        });
    }
}

void ProviderRelay::publishMetrics() const
{
    if (mode_ == Mode::OneShot)
        return;
    for (const auto &p : providers_) {
        Metrics::instance().setProviderState(p->config.name, int(p->breaker.state(p->nowMs())), p->inFlight);
        for (int i = 0; i < int(p->config.baseUrls.size()); ++i)
            Metrics::instance().setProviderEndpoint(p->config.name, p->config.baseUrls[i].toString(),
                                                    p->healthy[size_t(i)], p->outstanding[size_t(i)]);
    }
}

} // namespace smartbot::relay
