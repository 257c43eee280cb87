#include "http/server/smartbot_server.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QCryptographicHash>
#include <QSslCertificate>

#include <QHostAddress>
#include <QTimer>

#include <sys/resource.h>

#include "core/address_list.h"
#include "core/config_file.h"
#include "core/demo_model.h"
#include "core/log_buffer.h"
#include "core/metrics.h"
#include "core/rotating_log_file.h"
#include "core/jwt_key_source.h"
#include "core/secret_files.h"
#include "core/token_service.h"
#include "http/server/api_server.h"
#include "http/auth/authenticator.h"
#include "backup/backup_scheduler.h"
#include "http/auth/cors.h"
#include "http/server/drain_controller.h"
#include "http/transport/guarded_tcp_server.h"
#include "http/server/routes.h"
#include "http/transport/tls_setup.h"
#include "relay/provider_relay.h"
#include "smartbot/common/units.h"

namespace smartbot::http {

namespace {
// How [model] in server.conf asks the engine to load.
engine::LoadOptions loadOptions(const ModelOptions &model)
{
    engine::LoadOptions opts;
    opts.threads = model.threads;
    opts.kvCacheBytes = qint64(model.kvCacheMb) << 20;
    opts.prefixCache = model.prefixCache;
    opts.dtype = model.dtype.toStdString();
    opts.fusedCpuDecode = model.cpuDecode == QLatin1String("fused");
    opts.quantize = model.quantize.toStdString();
    return opts;
}
} // namespace

struct SmartbotServer::Impl {
    ServerConfig config;
    service::ResponseStore responses;
    std::unique_ptr<TokenService> tokens;
    std::unique_ptr<Authenticator> auth; // API keys, network allow list, rate limits, audit (authenticator.h)
    std::unique_ptr<service::ConversationStore> conversations; // in auth's Storage: declared after it, gone before it
    QTimer conversationPurge;                                  // hourly: [database] conversation_retention_days
    std::unique_ptr<service::ModelPool> models;  // the default model, preloads, on-demand models (model_pool.h)
    std::unique_ptr<relay::ProviderRelay> relay; // [provider.NAME]; outlives the routes that refer to it
    std::unique_ptr<ApiServer> api;
    GuardedTcpServer *tcp = nullptr; // owned by api
    std::shared_ptr<service::DrainState> drainState = std::make_shared<service::DrainState>();
    std::unique_ptr<DrainController> drain;           // refers to tcp and models: destroyed first
    std::unique_ptr<backup::BackupScheduler> backups; // [backup] schedule
    std::shared_ptr<RotatingLogFile> logFile;         // [logging] dir
    QString modelPath;
    ConfigFile appliedFile; // server.conf as the running server applies it (reloadSettings diffs against it)
    bool running = false;
};

namespace {
constexpr rlim_t kSpareFiles = 128;       // model files, logs, the database, listeners
constexpr int kAutoMaxConnections = 4096; // max_connections = 0: at most this many (each costs buffers and a timer)

// Each connection is a file descriptor: raises the soft open-file limit to the hard one, and returns how many
// connections fit in it (0 when unknown).
rlim_t raiseFileLimit()
{
    struct rlimit rl {};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
        ::getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur == RLIM_INFINITY)
        return rlim_t(kAutoMaxConnections);
    return rl.rlim_cur > kSpareFiles ? rl.rlim_cur - kSpareFiles : 1;
}

// max_connections (0 = as many as the file limit allows, at most kAutoMaxConnections) and the per-address share.
ConnectionLimits connectionLimits(const ServerConfig &config)
{
    const rlim_t room = raiseFileLimit();
    ConnectionLimits limits;
    limits.maxConnections = config.maxConnections;
    if (limits.maxConnections == 0)
        limits.maxConnections = room > 0 ? int(std::min<rlim_t>(room, kAutoMaxConnections)) : 512;
    else if (room > 0 && rlim_t(limits.maxConnections) > room)
        qWarning("max_connections = %d, but only %llu file descriptors are allowed (ulimit -n): raise the limit "
                 "or lower max_connections",
                 limits.maxConnections, (unsigned long long)(room + kSpareFiles));
    limits.maxConnectionsPerAddress =
        config.maxConnectionsPerAddress > 0 ? config.maxConnectionsPerAddress : std::max(1, limits.maxConnections / 4);
    limits.maxBodyBytes = config.maxBodyBytes;
    limits.maxHeaderBytes = config.maxHeaderBytes;
    limits.requestTimeoutMs = config.requestTimeoutS * 1000;
    limits.idleTimeoutMs = config.idleTimeoutS * 1000;
    limits.firstByteTimeoutMs = config.firstByteTimeoutS * 1000;
    if (auto proxies = AddressList::parse(config.trustedProxies))
        limits.unlimitedAddresses = proxies.value();
    return limits;
}
} // namespace

SmartbotServer::SmartbotServer(QObject *parent) : QObject(parent), d_(std::make_unique<Impl>()) {}

SmartbotServer::~SmartbotServer()
{
    stop();
}

namespace {
// The settings a running server takes from a reloaded server.conf, each with how it is copied: a table, so that the
// list of what reloads is in one place. Anything else waits for a restart (sockets, the engine, folders).
using Copy = void (*)(ServerConfig &to, const ServerConfig &from);
const std::pair<const char *, Copy> kLiveSettings[] = {
    {"network/allow", [](ServerConfig &to, const ServerConfig &from) { to.allow = from.allow; }},
    {"network/trusted_proxies",
     [](ServerConfig &to, const ServerConfig &from) { to.trustedProxies = from.trustedProxies; }},
    {"network/cors_origins", [](ServerConfig &to, const ServerConfig &from) { to.corsOrigins = from.corsOrigins; }},
    {"limits/requests_per_minute",
     [](ServerConfig &to, const ServerConfig &from) { to.requestsPerMinute = from.requestsPerMinute; }},
    {"limits/tokens_per_minute",
     [](ServerConfig &to, const ServerConfig &from) { to.tokensPerMinute = from.tokensPerMinute; }},
    {"auth/token_expire_hours",
     [](ServerConfig &to, const ServerConfig &from) { to.tokenExpireHours = from.tokenExpireHours; }},
    {"auth/max_token_hours", [](ServerConfig &to, const ServerConfig &from) { to.maxTokenHours = from.maxTokenHours; }},
    {"auth/leeway_seconds", [](ServerConfig &to, const ServerConfig &from) { to.leewaySeconds = from.leewaySeconds; }},
    {"auth/key_rotation_grace_hours",
     [](ServerConfig &to, const ServerConfig &from) { to.keyRotationGraceHours = from.keyRotationGraceHours; }},
    {"auth/admin_max_failures",
     [](ServerConfig &to, const ServerConfig &from) { to.adminMaxFailures = from.adminMaxFailures; }},
    {"model/max_tokens", [](ServerConfig &to, const ServerConfig &from) { to.maxTokens = from.maxTokens; }},
    {"model/aliases", [](ServerConfig &to, const ServerConfig &from) { to.modelAliases = from.modelAliases; }},
    {"model/max_tokens_limit",
     [](ServerConfig &to, const ServerConfig &from) { to.maxTokensLimit = from.maxTokensLimit; }},
    {"logging/level", [](ServerConfig &to, const ServerConfig &from) { to.logLevel = from.logLevel; }},
};
} // namespace

Result<QString> SmartbotServer::reload()
{
    auto settings = reloadSettings();
    auto certificate = reloadCertificate();
    if (!settings)
        return settings.failure();
    if (!certificate)
        return makeError(settings.value().toStdString() + "; " + certificate.error());
    return settings.value() + QStringLiteral("; ") + certificate.value();
}

Result<QString> SmartbotServer::reloadSettings()
{
    if (!d_->running)
        return makeError("the server is not running");
    const QString path = QDir(d_->config.configDir).filePath(QStringLiteral("server.conf"));
    auto file = ConfigFile::read(path);
    if (!file)
        return makeError(file.error() + " (settings unchanged)");
    auto fresh = ServerConfig::parse(file.value(), d_->config.configDir);
    if (!fresh)
        return makeError(fresh.error() + " (settings unchanged)");
    QStringList names = d_->appliedFile.keys();
    for (const QString &key : file->keys())
        if (!names.contains(key))
            names << key;
    QStringList applied, waiting;
    for (const QString &name : names) {
        const QString section = name.section(QLatin1Char('/'), 0, 0), key = name.section(QLatin1Char('/'), 1);
        const QString now = file->value(section, key);
        if (now == d_->appliedFile.value(section, key))
            continue;
        const auto live = std::find_if(std::begin(kLiveSettings), std::end(kLiveSettings),
                                       [&](const auto &entry) { return name == QLatin1String(entry.first); });
        if (live == std::end(kLiveSettings)) {
            waiting << QStringLiteral("[%1] %2").arg(section, key);
            continue;
        }
        live->second(d_->config, fresh.value());
        d_->appliedFile.setValue(section, key, now);
        applied << QStringLiteral("[%1] %2").arg(section, key);
    }
    if (!applied.isEmpty()) {
        d_->auth->applyConfig(d_->config);
        d_->api->setCorsOrigins(d_->config.corsOrigins);
        LogLevel level = LogLevel::Info;
        parseLogLevel(d_->config.logLevel, level);
        LogBuffer::instance().setMinimumLevel(level);
    }
    QString text = applied.isEmpty()
                       ? QStringLiteral("server.conf: nothing to apply")
                       : QStringLiteral("server.conf: applied %1").arg(applied.join(QStringLiteral(", ")));
    if (!waiting.isEmpty())
        text += QStringLiteral("; changed but applied only at the next restart: %1")
                    .arg(waiting.join(QStringLiteral(", ")));
    // Platform keys are rotated without a restart: providers/NAME.env is read again.
    if (d_->relay)
        if (const QStringList changed = d_->relay->reloadKeys(d_->config.configDir); !changed.isEmpty())
            text += QStringLiteral("; platform keys reloaded: %1").arg(changed.join(QStringLiteral(", ")));
    return text;
}

Result<QString> SmartbotServer::reloadCertificate()
{
    if (!d_->running)
        return makeError("the server is not running");
    if (!d_->config.sslEnable)
        return QStringLiteral("TLS is off: no certificate to reload");
    auto tls = loadTlsConfiguration(d_->config);
    if (!tls)
        return makeError("certificate not reloaded, the one in use stays: " + tls.error());
    d_->tcp->setTlsConfiguration(tls.value());
    const QSslCertificate cert = tls->localCertificate();
    return QStringLiteral("certificate reloaded from %1 (valid until %2, SHA-256 %3)")
        .arg(d_->config.sslCert, cert.expiryDate().toUTC().toString(Qt::ISODate),
             QString::fromLatin1(cert.digest(QCryptographicHash::Sha256).toHex().left(16)));
}

Result<void> SmartbotServer::start(const QString &configDir, const ServerOverrides &overrides)
{
    if (d_->running)
        return makeError("the server is already running");
    auto cfg = ServerConfig::loadOrCreate(configDir);
    if (!cfg)
        return cfg.failure();
    ServerConfig config = cfg.value();
    if (!overrides.bindAddress.isEmpty())
        config.bindAddress = overrides.bindAddress;
    if (overrides.port >= 0)
        config.port = quint16(overrides.port);
    const QHostAddress address(config.bindAddress == QLatin1String("localhost") ? QStringLiteral("127.0.0.1")
                                                                                : config.bindAddress);
    if (address.isNull())
        return makeError("bind address '" + config.bindAddress.toStdString() + "' is not an IP address");

    // The log first, so that everything the start says is in the file too.
    LogLevel level = LogLevel::Info;
    parseLogLevel(config.logLevel, level); // checked by ServerConfig
    LogBuffer::instance().setMinimumLevel(level);
    std::shared_ptr<RotatingLogFile> logFile;
    if (!config.logDir.isEmpty()) {
        logFile = std::make_shared<RotatingLogFile>(LogFileOptions{config.logDir, QStringLiteral("smartbot"),
                                                                   qint64(config.logMaxSizeMb) << 20, config.logKeep,
                                                                   config.logRotateDaily});
        if (auto opened = logFile->open(); !opened)
            return makeError("[logging] dir: " + opened.error());
        LogBuffer::instance().setFile(logFile);
    }
    struct ReleaseLogUnlessStarted { // a start that fails below leaves no file sink behind
        RotatingLogFile *file;
        bool started = false;
        ~ReleaseLogUnlessStarted()
        {
            if (!started && file)
                LogBuffer::instance().releaseFile(file);
        }
    } releaseLog{logFile.get()};
    if (auto data = ensureDataFolder(config.dataDir); !data)
        return data.failure();
    auto secrets = loadOrCreateSecrets(config.dataDir, qgetenv("SMARTBOT_ADMIN_KEY"),
                                       SecretOverrides{overrides.jwtSecret, overrides.adminKey});
    if (!secrets)
        return secrets.failure();
    QSslConfiguration tls;
    if (config.sslEnable) {
        auto t = loadTlsConfiguration(config);
        if (!t)
            return t.failure();
        tls = t.value();
    }
    if (secrets->adminKeyCreated)
        qInfo("created a new admin key in %s (read it there; it is never logged)", qPrintable(secrets->adminKeySource));

    auto d = std::make_unique<Impl>();
    d->config = config;
    if (auto file = ConfigFile::read(QDir(config.configDir).filePath(QStringLiteral("server.conf"))))
        d->appliedFile = file.value();
    d->tokens = std::make_unique<TokenService>(secrets->jwtKey);
    service::ModelPool::Settings pool;
    pool.maxQueue = config.maxQueue;
    pool.maxBatch = config.maxSequences;
    pool.load = loadOptions(config.modelOptions());
    pool.folders = config.modelFolders;
    pool.keepAliveSeconds = config.keepAliveS;
    for (const ModelSection &m : config.modelSections)
        pool.models[m.name] = {m.path, loadOptions(m.options), m.options.keepAliveS};
    pool.memoryBudgetBytes = qint64(config.memoryBudgetMb) << 20;
    d->models = std::make_unique<service::ModelPool>(pool);
    for (const QString &name : config.preload)
        if (auto path = d->models->pathOf(name); !path)
            return makeError("[model] preload: " + path.error());
    auto storage = Storage::open(config.dataDir, config.database);
    if (!storage)
        return storage.failure();
    // The app's keychain key is this server's own, unless the keys are shared through the database.
    std::unique_ptr<JwtKeySource> keySource;
    if (overrides.jwtSecret.isEmpty() || config.database.isPostgreSql()) {
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        auto source = openJwtKeySource(config, *storage.value(), now, overrides.jwtSecret);
        if (!source)
            return source.failure();
        keySource = std::move(source.value());
        // Signing starts with these keys (the shared ones with PostgreSQL), whatever a first reload finds.
        auto ring = keySource->load(now, retiredKeyAcceptSeconds(config));
        if (!ring)
            return ring.failure();
        d->tokens->setKeys(ring->current, ring->previous);
    }
    d->auth =
        std::make_unique<Authenticator>(d->config, std::move(storage.value()), d->tokens.get(), secrets->adminKeyHash,
                                        std::move(keySource), systemClock(), overrides.jwtSecret);
    d->api = std::make_unique<ApiServer>();
    d->api->setAccessCheck(
        [auth = d->auth.get()](const QHttpServerRequest &request) { return auth->checkNetwork(request); });
    const ConnectionLimits limits = connectionLimits(config);
    d->tcp = new GuardedTcpServer(limits, d->api.get());
    if (config.sslEnable)
        d->tcp->setTlsConfiguration(tls);
    if (!d->tcp->listen(address, config.port))
        return makeError("cannot listen on " + config.bindAddress.toStdString() + ":" + std::to_string(config.port) +
                         ": " + d->tcp->errorString().toStdString());
    d->api->bind(d->tcp);
    RouteContext routeContext{
        .config = &d->config, .tokens = d->tokens.get(), .auth = d->auth.get(), .models = d->models.get()};
    routeContext.corsOrigins = config.corsOrigins;
    if (!config.corsOrigins.isEmpty())
        qInfo("CORS allowed for %s", qPrintable(config.corsOrigins.join(QStringLiteral(", "))));
    d->conversations = std::make_unique<service::ConversationStore>(
        d->auth->storage(), config.database.conversationRetentionDays, service::ConversationStore::kDefaultMaxMessages,
        systemClock(), &d->auth->writes());
    routeContext.conversations = d->conversations.get();
    auto purge = [store = d->conversations.get()] {
        if (auto n = store->purgeExpired(); !n)
            qWarning("conversations: %s", n.error().c_str());
        else if (n.value() > 0)
            qInfo("conversations: %d past [database] conversation_retention_days dropped", n.value());
    };
    purge();
    QObject::connect(&d->conversationPurge, &QTimer::timeout, purge);
    d->conversationPurge.start(std::chrono::hours(1));
    routeContext.responses = &d->responses;
    routeContext.draining = d->drainState;
    if (!config.providers.empty()) {
        d->relay = std::make_unique<relay::ProviderRelay>(config.providers, config.configDir, overrides.providerKeys);
        routeContext.relay = d->relay.get();
    }
    d->drain = std::make_unique<DrainController>(d->drainState, d->models.get(), d->tcp, config.drainTimeoutS);
    d->drainState->begin = [this] { drain(QStringLiteral("POST /admin/drain")); };
    connect(d->drain.get(), &DrainController::finished, this, [this](bool complete) {
        Q_EMIT drainFinished(complete);
        QTimer::singleShot(0, this, &SmartbotServer::stop); // not from inside the controller's own signal
    });
    d->api->setCorsOrigins(routeContext.corsOrigins);
    installRoutes(*d->api, routeContext);
    connect(d->models.get(), &service::ModelPool::modelsChanged, this, &SmartbotServer::modelStateChanged);

    d->modelPath = overrides.modelPath.isEmpty() ? config.modelPath : overrides.modelPath;
    if (d->modelPath.isEmpty() && !overrides.demoModelPath.isEmpty()) {
        d->modelPath = overrides.demoModelPath;
        qInfo("no model configured: serving the bundled demo model %s (tiny stories, not an assistant); set [model] "
              "path in server.conf or pass --model (none: no model)",
              qPrintable(d->modelPath));
    }
    if (d->modelPath == QLatin1String(kNoModel))
        d->modelPath.clear();
    if (!d->modelPath.isEmpty()) {
        if (auto r = d->models->setDefault(d->modelPath); !r)
            return makeError("model " + d->modelPath.toStdString() + ": " + r.error());
    } else {
        qWarning("no model configured: set [model] path in server.conf or pass --model; requests naming no model "
                 "answer 503");
    }
    for (const QString &name : config.preload)
        if (auto r = d->models->load(name); !r)
            return makeError("[model] preload " + name.toStdString() + ": " + r.error());
    qInfo("models: %s of memory budget ([model] memory_budget_mb), idle on-demand models unloaded after %d s ([model] "
          "keep_alive), found in %s",
          qPrintable(QString::number(double(d->models->memoryBudget()) / kBytesPerMiB, 'f', 0) + " MiB"),
          config.keepAliveS, qPrintable(config.modelFolders.join(QStringLiteral(", "))));
    if (const qint64 every = backup::BackupScheduler::intervalMs(config.backupSchedule); every > 0) {
        d->backups = std::make_unique<backup::BackupScheduler>(config, QCoreApplication::applicationVersion());
        d->backups->start(every);
        qInfo("backups: %s into %s, keeping %d", qPrintable(config.backupSchedule), qPrintable(config.backupDir),
              config.backupKeep);
    }
    d->logFile = logFile;
    releaseLog.started = true;
    d->running = true;
    d_ = std::move(d);
    qInfo("SmartBot listening on %s", qPrintable(url().toString()));
    Q_EMIT runningChanged(true);
    Q_EMIT modelStateChanged();
    return {};
}

void SmartbotServer::drain(const QString &reason)
{
    if (d_->running && d_->drain)
        d_->drain->start(reason);
}

bool SmartbotServer::isDraining() const
{
    return d_->running && d_->drainState->isDraining();
}

void SmartbotServer::stop()
{
    if (!d_->running)
        return;
    d_->drain.reset();
    d_->drainState->begin = nullptr;
    // The turns of replies not sent yet: stored, and the replies sent, before the sockets go.
    d_->auth->writes().flush();
    d_->tcp->close();
    d_->api.reset();   // closes connections
    d_->relay.reset(); // aborts relayed requests still in flight
    d_->models->shutdown();
    d_->models.reset();
    d_->running = false;
    d_->backups.reset();
    qInfo("SmartBot stopped");
    if (d_->logFile) {
        LogBuffer::instance().releaseFile(d_->logFile.get());
        d_->logFile.reset();
    }
    Q_EMIT runningChanged(false);
    Q_EMIT modelStateChanged();
}

bool SmartbotServer::isRunning() const
{
    return d_->running;
}
quint16 SmartbotServer::port() const
{
    return d_->running ? d_->tcp->serverPort() : d_->config.port;
}
QString SmartbotServer::bindAddress() const
{
    return d_->config.bindAddress;
}
const ServerConfig &SmartbotServer::config() const
{
    return d_->config;
}
void SmartbotServer::publishMetrics() const
{
    if (d_->running && d_->models)
        d_->models->publishMetrics();
}

Result<void> SmartbotServer::loadModel(const QString &path, const QString &dtype)
{
    if (!isRunning())
        return makeError("the server is not running", ErrorCode::Unavailable);
    if (path.isEmpty())
        return makeError("no model folder given", ErrorCode::InvalidArgument);
    engine::LoadOptions options = d_->models->optionsFor(service::ModelPool::nameOf(path));
    if (!dtype.isEmpty())
        options.dtype = dtype.toStdString();
    qInfo("loading model %s (asked by the desktop app)", qPrintable(path));
    if (auto r = d_->models->setDefault(path, options); !r)
        return r.failure();
    d_->modelPath = path;
    return {};
}

void SmartbotServer::unloadModel()
{
    if (!isRunning())
        return;
    qInfo("unloading model %s", qPrintable(d_->modelPath));
    d_->modelPath.clear();
    d_->models->clearDefault();
}

const service::InferenceWorker *SmartbotServer::defaultWorker() const
{
    return d_->models ? d_->models->defaultWorker() : nullptr;
}

engine::ModelInfo SmartbotServer::modelInfo() const
{
    const auto *w = defaultWorker();
    return w ? w->modelInfo() : engine::ModelInfo{};
}

engine::KvMemoryStats SmartbotServer::kvMemory() const
{
    const auto *w = defaultWorker();
    return w ? w->kvMemory() : engine::KvMemoryStats{};
}

double SmartbotServer::modelLoadProgress() const
{
    const auto *w = defaultWorker();
    return w ? w->loadProgress() : 0.0;
}

int SmartbotServer::requestsInFlight() const
{
    return d_->models ? d_->models->inFlight() : 0;
}

service::ModelPool *SmartbotServer::models() const
{
    return d_->running ? d_->models.get() : nullptr;
}

Authenticator *SmartbotServer::authenticator() const
{
    return d_->running ? d_->auth.get() : nullptr;
}

relay::ProviderRelay *SmartbotServer::providerRelay() const
{
    return d_->running ? d_->relay.get() : nullptr;
}

QString SmartbotServer::modelPath() const
{
    return d_->modelPath;
}

QUrl SmartbotServer::url() const
{
    QUrl u;
    u.setScheme(d_->config.sslEnable ? QStringLiteral("https") : QStringLiteral("http"));
    QString host = d_->config.bindAddress;
    if (host == QLatin1String("0.0.0.0") || host.isEmpty())
        host = QStringLiteral("127.0.0.1");
    else if (host == QLatin1String("::"))
        host = QStringLiteral("::1");
    u.setHost(host);
    u.setPort(port());
    return u;
}

service::InferenceWorker::ModelState SmartbotServer::modelState() const
{
    const auto *w = defaultWorker();
    return w ? w->modelState() : service::InferenceWorker::ModelState::None;
}

QString SmartbotServer::modelName() const
{
    const auto *w = defaultWorker();
    return w ? QString::fromStdString(w->modelInfo().name) : QString();
}

QString SmartbotServer::modelError() const
{
    const auto *w = defaultWorker();
    return w ? w->modelError() : QString();
}

} // namespace smartbot::http
