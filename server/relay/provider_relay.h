// ProviderRelay: the [provider.NAME] platforms of server.conf and the requests relayed to them. It resolves a
// client's model name to a provider ("NAME/model"), applies the provider's limits (max_concurrent, the circuit
// breaker) and starts UpstreamCalls; it lists the providers' models for /v1/models (asking each provider with
// models = * for its /models at start and every 10 minutes), and probes the base_urls of fleets every health_check_s
// (a base_url that refused a connection gets no requests until a probe passes).
// Threading: one thread (the server's), where it is created; every callback runs there.
#pragma once

#include <QObject>
#include <QPointer>
#include <QTimer>
#include <memory>
#include <optional>
#include <vector>

#include "core/provider_config.h"
#include "relay/provider_state.h"
#include "relay/upstream_call.h"

namespace smartbot::relay {

class ProviderRelay : public QObject {
    Q_OBJECT
public:
    // keys: the platform key per provider name where the caller has it (the desktop app, from the keychain); the
    // others are read from <configDir>/providers/NAME.env. A provider without a usable key stays configured and
    // its requests get 502 naming the problem (a start-up warning says so too).
    // Serving: the server's relay (model listing for models = *, health checks, metrics). OneShot: a connection test
    // (`provider test`, the app's Test connection) that must not touch the running server's metrics.
    enum class Mode { Serving, OneShot };
    ProviderRelay(const std::vector<ProviderConfig> &providers, const QString &configDir,
                  const QMap<QString, ProviderKey> &keys = {}, Mode mode = Mode::Serving, QObject *parent = nullptr);
    ~ProviderRelay() override;

    bool empty() const { return providers_.empty(); }

    // Reads providers/NAME.env again for the providers whose key came from there (SIGHUP, the app's reload): a
    // rotated key is used from the next request on. Returns the names whose key changed (a problem is logged).
    QStringList reloadKeys(const QString &configDir);

    struct Target {
        ProviderState *provider = nullptr;
        QString model; // the upstream's name for it
    };
    // A provider's alias, or "NAME/model" with NAME a configured provider: that provider, or an error (NotFound)
    // when it does not serve model; std::nullopt when the name is not a provider's.
    std::optional<Result<Target>> resolve(const QString &name) const;

    // Relays a POST of body to target's provider at path ("/chat/completions"). Null (and failed already called
    // synchronously) when max_concurrent or the circuit breaker refuses it.
    QPointer<UpstreamCall> post(const Target &target, const QString &path, const QByteArray &body,
                                RelayHandlers handlers);

    struct Listed {
        QString id;       // "NAME/model", or one of the provider's aliases
        QString provider; // NAME
    };
    // Every model clients may name, provider by provider.
    std::vector<Listed> models() const;

    struct Status {
        QString name;
        QStringList baseUrls;
        bool hasKey = false;
        QDateTime keySetAt;
        int inFlight = 0;
        CircuitBreaker::State circuit = CircuitBreaker::State::Closed;
    };
    std::vector<Status> status() const;
    // The configured providers (server.conf order).
    std::vector<ProviderConfig> configs() const;

    // GET <base_url>/models with the platform key; done gets the model ids or the error. For `provider test`.
    void listUpstreamModels(const QString &provider, std::function<void(const Result<QStringList> &)> done);

private:
    bool readKey(ProviderState &p, const QString &configDir); // providers/NAME.env; true when the key changed
    void discover();
    void probe(ProviderState *provider); // GET /models at each of its base_urls (health_check_s)
    void publishMetrics() const;
    std::vector<std::unique_ptr<ProviderState>> providers_;
    QStringList keysFromCaller_; // providers whose key the caller passed (not read from files)
    Mode mode_;
    QTimer discoverTimer_;
    std::vector<std::unique_ptr<QTimer>> healthTimers_;
};

} // namespace smartbot::relay
