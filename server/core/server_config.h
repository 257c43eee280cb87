// ServerConfig: DIR/server.conf (INI). Created with commented defaults when missing; every value validated.
#pragma once

#include <QString>
#include <QStringList>

#include "core/database_config.h"
#include "core/model_aliases.h"
#include "core/model_options.h"
#include "core/provider_config.h"
#include "smartbot/common/result.h"

namespace smartbot {
class ConfigFile;
}

namespace smartbot {

struct ServerConfig {
    // [network]
    QString bindAddress = QStringLiteral("127.0.0.1");
    quint16 port = 18789;
    qint64 maxBodyBytes = 1024 * 1024;
    int maxHeaderBytes = 16 * 1024;
    int requestTimeoutS = 30;         // receiving one request (head + body) once it has started; also the TLS handshake
    int idleTimeoutS = 60;            // a keep-alive connection with no request in progress
    int firstByteTimeoutS = 10;       // a new connection's first byte (plain) or whole handshake (TLS)
    int maxConnections = 0;           // open connections (0 = from the open-file limit, at most 4096); see server.conf
    int maxConnectionsPerAddress = 0; // from one client address or IPv6 /64 (0 = a quarter of maxConnections)
    int drainTimeoutS = 30;           // graceful drain (SIGTERM, POST /admin/drain): longest wait for in-flight work
    bool sslEnable = false;
    QString sslCert;         // PEM certificate (chain), absolute (resolved against the config folder)
    QString sslKey;          // PEM private key (RSA or EC), absolute; must not be group/other-readable
    QString allow;           // addresses/CIDR subnets allowed to connect ("" = everyone), see address_list.h
    QString trustedProxies;  // peers whose X-Forwarded-For is believed
    QStringList corsOrigins; // browser origins allowed (core/cors_origins.h); empty: no CORS headers
    // [limits]
    int maxQueue = 256;        // generations waiting for the inference worker; more get 503 + Retry-After
    int maxSequences = 64;     // sequences in one continuous batch
    int requestsPerMinute = 0; // per API key / token subject; 0 = off (keys may override)
    int tokensPerMinute = 0;   // prompt + generated tokens per key / subject; 0 = off
    // [auth]
    int tokenExpireHours = 24;
    int maxTokenHours = 24 * 30;
    int leewaySeconds = 30;         // clock skew allowed on JWT exp/nbf
    int keyRotationDays = 90;       // API keys older than this are "rotation due"
    int keyRotationGraceHours = 24; // a rotated API key stays valid this long
    int adminMaxFailures = 10;      // failed admin credentials from one address within adminFailureWindowS -> 429
    int adminFailureWindowS = 300;
    // [model]
    QString modelPath;        // relative paths are resolved against the config folder
    QStringList modelFolders; // where named models are found (absolute; requests load them on demand, the desktop app
                              // lists them); default <config>/models
    QStringList preload;      // names of models in modelFolders loaded at start and kept loaded
    int keepAliveS = 300;     // an on-demand model is unloaded after this long without requests; -1: never
    int memoryBudgetMb = 0;   // all models' weights + KV budgets; 0 = physical memory
    int threads = 0;          // 0 = engine's choice
    int kvCacheMb = 0;        // KV memory (running sequences + prefix cache); 0 = engine's choice
    bool prefixCache = true;
    QString dtype = QStringLiteral("auto");      // auto, float32, bfloat16, float16 (CUDA)
    QString cpuDecode = QStringLiteral("fused"); // fused or libtorch (LoadOptions::fusedCpuDecode)
    QString quantize = QStringLiteral("none");   // safetensors models quantized at load (LoadOptions::quantize)
    ModelAliases modelAliases;                   // [model] aliases (core/model_aliases.h)
    std::vector<ModelSection> modelSections;     // [model.NAME]: one model's options over the ones above
    // The options above as one value (core/model_options.h), and back.
    ModelOptions modelOptions() const
    {
        return {threads, kvCacheMb, keepAliveS, prefixCache, dtype, cpuDecode, quantize};
    }
    void setModelOptions(const ModelOptions &o)
    {
        threads = o.threads;
        kvCacheMb = o.kvCacheMb;
        keepAliveS = o.keepAliveS;
        prefixCache = o.prefixCache;
        dtype = o.dtype;
        cpuDecode = o.cpuDecode;
        quantize = o.quantize;
    }
    int maxTokens = 256; // default reply length cap
    int maxTokensLimit = 4096;

    // [logging] (core/rotating_log_file.h, core/log_buffer.h)
    QString logDir; // absolute; "" = no log file (dir = none)
    QString logLevel = QStringLiteral("info");
    int logMaxSizeMb = 64;      // rotate before the file passes this; 0 = only daily
    int logKeep = 7;            // compressed old files kept
    bool logRotateDaily = true; // rotate when the UTC day changes
    // [backup] (server/backup/backup.h)
    QString backupDir;            // where POST /admin/backups, the app and the schedule write; default <config>/backups
    QString backupPassphraseFile; // seals the secrets of server-made backups; "" = none (then secrets are left out)
    QString backupSchedule = QStringLiteral("off"); // off, hourly or daily
    int backupKeep = 7;                             // server-made backups kept in backupDir

    // [provider.NAME] (core/provider_config.h): upstream platforms requests naming "NAME/model" are relayed to
    std::vector<ProviderConfig> providers;

    // [storage]
    QString dataDir; // absolute: the database, admin.key and auth/ (the signing keys); default the config folder
    // [database] and [storage] synchronous (core/database_config.h): SQLite in dataDir, or a PostgreSQL server.
    DatabaseConfig database;

    QString configDir; // where server.conf lives

    // Reads DIR/server.conf, writing the commented defaults first if it does not exist.
    static Result<ServerConfig> loadOrCreate(const QString &dir);
    // The values of file checked as start-up checks them (no file access: the desktop app validates an edit as it
    // is typed). Relative paths are resolved against configDir. Errors read "server.conf: [section] key ...".
    static Result<ServerConfig> parse(const ConfigFile &file, const QString &configDir);
    // DIR/server.conf parsed when it can be read, else the defaults; unlike loadOrCreate nothing is created and no
    // path is checked (the desktop app's panels, for a folder the server may not have used yet).
    static Result<ServerConfig> readOrDefaults(const QString &dir);
    static QString defaultConfigText();
    // The defaults laid out for a system install (the .deb's /etc/smartbot/server.conf): data in /var/lib/smartbot,
    // logs in /var/log/smartbot, and the production settings (bind 0.0.0.0, TLS files, allow list) as comments.
    // An error names a default line it expected and did not find (the two texts drifted apart).
    static Result<QString> systemConfigText();
};

} // namespace smartbot
