// SmartbotServer: the whole server behind one start()/stop(), used in-process by the GUI and by smartbotd.
#pragma once

#include <QMap>
#include <QObject>
#include <QUrl>
#include <memory>

#include "core/server_config.h"
#include "service/model_pool.h"

namespace smartbot::relay {
class ProviderRelay;
}

namespace smartbot::http {

class Authenticator;

struct ServerOverrides {
    QString modelPath;     // empty: server.conf's [model] path; "none": no model (core/demo_model.h: kNoModel)
    QString demoModelPath; // served when neither names a model (core/demo_model.h: bundledDemoModel); empty: none
    QString bindAddress;   // empty: server.conf
    int port = -1;         // -1: server.conf; 0: any free port
    // Secrets kept by the caller (the GUI: the OS keychain). jwtSecret: raw key bytes (>= 32); when set,
    // auth/secret.key is neither read nor written. adminKey: the admin key text (>= 16 characters); when set,
    // admin.key and $SMARTBOT_ADMIN_KEY are not used. Empty: the files, as smartbotd does.
    QByteArray jwtSecret;
    QByteArray adminKey;
    // Platform keys by provider name ([provider.NAME]); a provider not here reads <config>/providers/NAME.env.
    QMap<QString, ProviderKey> providerKeys;
};

class SmartbotServer : public QObject {
    Q_OBJECT
public:
    explicit SmartbotServer(QObject *parent = nullptr);
    ~SmartbotServer() override;

    // Reads DIR/server.conf and the secrets, listens, and starts loading the model in the background.
    Result<void> start(const QString &configDir, const ServerOverrides &overrides = {});
    // Stops at once: connections are closed, running generations end (the GUI's Stop).
    void stop();
    // Graceful drain (SIGTERM, POST /admin/drain): readyz 503, new chat requests 503, in-flight requests finish
    // (at most [network] drain_timeout_s), then drainFinished() and stop().
    void drain(const QString &reason);
    // SIGHUP (systemctl reload): reloadSettings() then reloadCertificate(); the text says what happened.
    Result<QString> reload();
    // Reads server.conf again and applies what a running server can change (the allow list, trusted proxies, CORS
    // origins, rate limits, token lifetimes, reply length limits, log level: kLiveSettings); the text names those
    // applied and those that wait for a restart. A file that does not pass the start-up check changes nothing.
    Result<QString> reloadSettings();
    // Reads the TLS certificate and key files again (a renewed certificate, e.g. from certbot) and serves them to
    // new connections; connections already open keep theirs. On any problem the certificate in use stays and the
    // error says why. Without TLS there is nothing to reload.
    Result<QString> reloadCertificate();
    bool isDraining() const;

    bool isRunning() const;
    quint16 port() const; // the bound port (useful with port 0)
    QString bindAddress() const;
    QUrl url() const; // http://host:port, or https:// with [network] ssl_enable
    const ServerConfig &config() const;
    QString modelPath() const;
    service::InferenceWorker::ModelState modelState() const;
    QString modelName() const;
    QString modelError() const;
    engine::ModelInfo modelInfo() const;    // of the model loaded (empty fields otherwise)
    engine::KvMemoryStats kvMemory() const; // as of the last decode step
    double modelLoadProgress() const;       // 0..1 while loading (any thread)
    int requestsInFlight() const;           // generations queued or running
    // Makes the model at path the default one (ModelPool::setDefault: the previous default finishes its requests and
    // is unloaded; under the same name, a hot swap) with [model]'s options, dtype replaced when given;
    // modelStateChanged() follows. Not saved to server.conf. Errors: not running, no path, no memory room.
    Result<void> loadModel(const QString &path, const QString &dtype = {});
    void unloadModel(); // the default model finishes its requests and goes; requests naming none answer 503
    // Every model held (ModelPool: on-demand and preloaded ones too). Null while stopped. Server thread only.
    service::ModelPool *models() const;
    // The running server's Authenticator (keys, audit, usage, tokens), for the desktop app's panels: the same
    // services the HTTP routes use. Null while stopped. Server thread only.
    Authenticator *authenticator() const;
    // The upstream providers ([provider.NAME]) of the running server; null when stopped or none is configured.
    relay::ProviderRelay *providerRelay() const;
    // Brings the inference figures in Metrics up to date (queue, running sequences, KV cache): for in-process
    // readers of Metrics::snapshot(). Does nothing while stopped.
    void publishMetrics() const;

Q_SIGNALS:
    void runningChanged(bool running);
    void modelStateChanged();
    void drainFinished(bool complete); // complete: nothing was left in flight (false: drain_timeout_s passed)

private:
    const service::InferenceWorker *defaultWorker() const;
    struct Impl;
    std::unique_ptr<Impl> d_;
};

} // namespace smartbot::http
