#include "core/server_config.h"

#include <QDir>
#include <QFileInfo>
#include <QHostAddress>

#include <sys/stat.h>

#include "core/address_list.h"
#include "core/config_file.h"
#include "core/config_values.h"
#include "core/cors_origins.h"
#include "core/demo_model.h"
#include "core/log_buffer.h"
#include "core/secret_files.h"
#include "smartbot/common/units.h"

namespace smartbot {

QString ServerConfig::defaultConfigText()
{
    return QStringLiteral(R"(; SmartBot server configuration. Lines starting with ; are comments.
; Changes take effect when the server (re)starts.

[network]
; Address to listen on: 127.0.0.1 = this machine only, 0.0.0.0 = every IPv4 interface, :: = IPv6 too.
bind_address = 127.0.0.1
; TCP port of the HTTP API.
port = 18789
; Largest request body accepted, in bytes (larger ones get 413).
max_body_bytes = 1048576
; Largest request head (request line + headers), in bytes (larger ones get 431).
max_header_bytes = 16384
; Seconds a client has to send one whole request (head and body) once it has started it; a slower one gets 408
; and is closed. Also bounds the TLS handshake. Producing the reply (inference, streaming) is not limited by it.
request_timeout_s = 30
; Seconds a keep-alive connection may stay open with no request in progress before it is closed.
idle_timeout_s = 60
; Seconds a new connection may stay silent before its first byte (or, on a TLS port, its whole handshake) arrives.
first_byte_timeout_s = 10
; Most connections open at once; 0 = as many as the open-file limit allows, at most 4096 (the server raises its
; soft limit to the hard one). At the limit the connection idle for longest is closed to make room; when none is
; idle a new connection gets 503 with Retry-After (on a TLS port it is closed at once, without a handshake).
max_connections = 0
; Most connections open at once from one client address (an IPv6 /64 counts as one address); 0 = a quarter of
; max_connections. Trusted proxies (below) are exempt. Beyond it the new connection gets 503 like above.
max_connections_per_address = 0
; Graceful drain (SIGTERM, POST /admin/drain): /readyz says 503 "draining", new chat requests get 503, in-flight
; ones finish; the server then exits. It waits at most this many seconds for them.
drain_timeout_s = 30
; HTTPS: true serves TLS 1.2+ only on the port above (plain HTTP is not served then). ssl_cert is a PEM certificate
; (the server's first, then any intermediates) and ssl_key its PEM private key (RSA or EC, not encrypted, mode 600);
; relative paths are resolved against this folder. Both are checked at start (readable, parse, match, dates).
ssl_enable = false
ssl_cert =
ssl_key =
; Addresses allowed to connect, as IPs or CIDR subnets separated by commas (IPv4 and IPv6), e.g.
; 192.168.1.0/24, 10.0.0.5. Empty = everyone. Others get 403 before anything else happens.
allow =
; Reverse proxies whose X-Forwarded-For header is believed (IPs or CIDR subnets). From any other peer the header is
; ignored; the client address (allow list, API key IP lists, rate limits, audit log) is then the peer's own.
trusted_proxies =
; Web pages (origins: scheme://host[:port], separated by commas; * = any) whose browser scripts may call the API;
; they get Access-Control-Allow-Origin. Empty: no CORS headers (browsers block cross-origin calls).
cors_origins =

[limits]
; Chat generations waiting for the model at once; more get 503 with Retry-After.
max_queue = 256
; Sequences generated together in one batch (continuous batching); more wait in the queue.
max_sequences = 64
; Requests per minute and tokens (prompt + generated) per minute for each API key or token subject; 0 = no limit.
; A key may have its own limits (smartbotd key create --rpm N --tpm N). Over the limit: 429 with Retry-After.
requests_per_minute = 0
tokens_per_minute = 0

[auth]
; Default lifetime of tokens issued by POST /admin/token, in hours.
token_expire_hours = 24
; Longest lifetime a caller may ask for with expires_in, in hours.
max_token_hours = 720
; Seconds of clock skew allowed when checking a token's exp and nbf.
leeway_seconds = 30
; API keys older than this many days are reported as due for rotation (key list, a warning at start, a metric).
key_rotation_days = 90
; After smartbotd key rotate, the old key stays valid this many hours.
key_rotation_grace_hours = 24
; This many failed admin credentials from one address within admin_failure_window_s seconds block that address
; (429 with Retry-After) until the window has passed.
admin_max_failures = 10
admin_failure_window_s = 300

[model]
; Hugging Face model folder loaded at start (config.json, model.safetensors, tokenizer.json).
; Relative paths are resolved against this folder. --model on the command line overrides it. Empty: the bundled
; demo model (stories260K, tiny stories); none: no model (chat answers 503).
path =
; Folders holding models (each model a subfolder with config.json), separated by commas; relative paths are
; resolved against this folder. The desktop app's Models panel lists what they hold, beside the demo model.
folders = models
; CPU threads for inference; 0 lets the engine choose.
threads = 0
; Compute dtype: auto, float32, bfloat16 or float16 (CUDA only). auto = bfloat16 on CUDA; on the CPU bfloat16 for
; bfloat16 weights when the CPU has AVX512-BF16, else float32.
dtype = auto
; Decode step on the CPU: fused (hand-fused kernels; a reply is the same alone or batched, bit for bit; fastest
; for one to a few streams) or libtorch (libtorch/oneDNN operators; in bfloat16 on AVX512-BF16 CPUs faster at 32+
; concurrent streams, but results may differ in the last bits with the batch).
cpu_decode = fused
; Memory for the KV cache in MiB: running requests reserve prompt + max_tokens positions when they start (a
; request that does not fit waits in the queue); the rest keeps finished requests' caches so that prompts
; sharing a prefix (a system prompt, earlier turns) skip its prefill. 0 = a quarter of physical memory.
kv_cache_mb = 0
; Reuse cached KV for shared prompt prefixes (the reply's usage says prompt_tokens_details.cached_tokens).
prefix_cache = true
; Other names requests may use for a model, as name: target pairs separated by commas; target is a model's name or
; default (the one loaded), and the name * stands for any other name. E.g. gpt-4o-mini: default, *: default lets
; applications written for another provider work unchanged. Empty: a request naming another model gets 404.
aliases =
; Reply length when a request does not say, and the most a request may ask for.
max_tokens = 256
max_tokens_limit = 4096

; One model's own settings: a [model.NAME] section (NAME as requests name it) with any of threads, dtype,
; cpu_decode, kv_cache_mb, prefix_cache, quantize and keep_alive, over the ones above; and path, for a model outside
; folders. E.g. a large model quantized at load and unloaded after ten idle minutes:
;[model.llama-3-8b]
;path = /srv/models/llama-3-8b
;quantize = q4_k_m
;keep_alive = 600

[storage]
; Folder of what the server writes and must keep: the database (smartbot.db: API keys, revocations, usage, audit
; log), admin.key and auth/ (the token signing keys). Relative to this folder; empty = this folder. A system
; install keeps this folder read-only for the service and points here to /var/lib/smartbot (created 700).
data_dir =
; normal: nothing acknowledged is lost when the server process dies (kill -9, a crash), and the database stays
; intact on a power cut, which may lose the last moments' writes. full: an fsync per write, so that also a power cut
; loses nothing acknowledged (API keys created, revocations), at a cost in write speed.
synchronous = normal

[database]
; sqlite: the database is smartbot.db in data_dir, for this server alone. postgresql: a PostgreSQL server (12 or
; newer) that several SmartBot servers share behind a load balancer: API keys, revocations, usage and the audit log
; are then the same on all of them, and a key revoked through one is refused by every other at its next request. The
; schema is created and migrated when the server starts (or: smartbotd db status|migrate).
driver = sqlite
; PostgreSQL only: the server (a host name, an address, or the folder of its Unix socket), the database and the user
; (create them with: createuser -P smartbot; createdb -O smartbot smartbot), and a file holding the password (its
; first line; mode 600; relative to this folder; empty = no password). sslmode as libpq's: disable, allow, prefer,
; require, verify-ca or verify-full. connect_timeout: seconds for one attempt to reach the server.
host = 127.0.0.1
port = 5432
name = smartbot
user = smartbot
password_file =
sslmode = prefer
connect_timeout = 5
; PostgreSQL only: the JWT signing keys are kept in the database, so that a token issued by one server is accepted by
; all and a rotation (smartbotd token rotate-secret) reaches every server within a second.
; They are sealed (AES-256-GCM) with the key in this file (mode 400; relative to this folder; empty =
; auth/database.key in data_dir): the first server creates it, and every other server needs a copy of it.
secrets_key_file =
; The connection pool (both drivers): at most max_connections open, pool_size of them kept open while idle; a request
; that finds every connection in use waits up to timeout seconds, then gets 503 database_busy.
max_connections = 100
pool_size = 20
timeout = 30
; /api/v1/chat conversations are kept in the database this many days after their last message (0 = for ever); their
; owner lists, reads and deletes them with GET /api/v1/conversations, GET and DELETE /api/v1/conversations/ID.
conversation_retention_days = 30

[logging]
; The log is written to DIR/smartbot.log (mode 640, the folder 750; relative to this folder; none = no file), as well
; as to stderr (journald under systemd) and the desktop app. One line per event; each request ends with a line
; "request ID ROUTE STATUS MS ms from ADDRESS" (health checks and /metrics at debug level). Never a secret.
dir = logs
; debug, info, warning or error: lines below it are dropped everywhere.
level = info
; A new file when the UTC day changes (rotate_daily) and before the file would pass max_size_mb (0 = no size limit);
; old files are gzip-compressed (smartbot-<time>-<n>.log.gz) and only the newest `keep` are kept.
rotate_daily = true
max_size_mb = 64
keep = 7

[backup]
; Backups made by the server (POST /admin/backups, the desktop app, the schedule below) go into this folder
; (relative to this folder); smartbotd backup create --out can write anywhere.
dir = backups
; A file (mode 600) whose first line is the passphrase that seals the key files in server-made backups. Empty: they
; are left out of those backups (a restore then makes new keys; issued tokens and the admin key stop working).
passphrase_file =
; off, hourly or daily (first one an hour or a day after start), keeping the newest `keep` backups in dir.
schedule = off
keep = 7

; Upstream platforms: a request whose model is "NAME/model" (or an alias of one, see [model] aliases) is relayed to
; the provider NAME, an OpenAI-compatible API, with the same client keys, scopes, rate limits and usage ledger as local
; models. The platform key is not kept here: smartbotd provider set-key NAME (on stdin) writes providers/NAME.env
; (mode 600); smartbotd provider test NAME checks it; systemctl reload (SIGHUP) reads a rotated one.
;[provider.example]
; One address, or several equal servers separated by commas (least busy first; one that refuses connections is
; skipped until its health check, GET /models every health_check_s, passes).
;base_url = https://api.example.com/v1
; The model names clients may ask for (as example/NAME), or * for whatever the provider's /models lists.
;models = gpt-4o-mini
; Longest wait for the answer's head and then between two of its bytes (504), and for a connection.
;timeout_s = 120
;connect_timeout_s = 10
; Requests in flight to the provider at most (more get 503); extra attempts after a connection error, a 429 or a
; 5xx, only before the first byte reached the client.
;max_concurrent = 32
;retries = 2
; After breaker_failures failures in a row, requests are refused (503) for breaker_cooldown_s, then one is tried.
;breaker_failures = 5
;breaker_cooldown_s = 30
; Names clients may use instead of example/NAME ("name: upstream model", each one of models), so that applications
; written for the platform work unchanged.
;aliases = gpt-4o-mini: gpt-4o-mini
; PEM CA certificates trusted for this provider besides the system's (a private CA).
;ca_file =
)");
}

Result<QString> ServerConfig::systemConfigText()
{
    // {default line, what the system install has instead}: a table, so that a default that changes is noticed.
    static const std::pair<const char *, const char *> kSystem[] = {
        {"; Changes take effect when the server (re)starts.\n",
         "; Changes take effect when the server (re)starts: systemctl restart smartbotd. systemctl reload smartbotd\n"
         "; applies the allow list, proxies, CORS, rate limits, token lifetimes, reply limits and log level at once\n"
         "; (and reloads the TLS certificate). Installed by the smartbot package; the service runs\n"
         "; smartbotd serve --config /etc/smartbot as the user smartbot, which may read this folder but not change "
         "it.\n"
         "; Admin commands: sudo -u smartbot smartbotd key list --config /etc/smartbot (and smartbotd --help).\n"},
        {"bind_address = 127.0.0.1\n",
         "bind_address = 127.0.0.1\n; Production, for clients on other machines (with TLS and an allow list below):\n"
         "; bind_address = 0.0.0.0\n"},
        {"ssl_key =\n",
         "ssl_key =\n; Production: ssl_enable = true, ssl_cert = /etc/smartbot/tls/server.crt,\n"
         "; ssl_key = /etc/smartbot/tls/server.key (owned by smartbot, mode 400: chown smartbot: server.key)\n"},
        {"allow =\n", "allow =\n; Production: allow = 192.168.1.0/24 (your clients' subnet; the nginx host's address "
                      "behind nginx)\n"},
        {"folders = models\n", "folders = /var/lib/smartbot/models\n"},
        {"data_dir =\n", "data_dir = /var/lib/smartbot\n"},
        {"dir = logs\n", "dir = /var/log/smartbot\n"},
        {"dir = backups\n", "dir = /var/lib/smartbot/backups\n"},
    };
    QString text = defaultConfigText();
    for (const auto &[from, to] : kSystem) {
        const QString line = QString::fromUtf8(from);
        if (text.count(line) != 1)
            return makeError("the default server.conf no longer has exactly one line '" + line.trimmed().toStdString() +
                             "'");
        text.replace(line, QString::fromUtf8(to));
    }
    return text;
}

Result<ServerConfig> ServerConfig::loadOrCreate(const QString &dir)
{
    ServerConfig c;
    QDir d(dir);
    // A new config folder holds secrets: 0700 whatever the umask (parents as the umask says).
    if (!d.exists() && (!QDir().mkpath(QFileInfo(dir).absolutePath()) || ::mkdir(QFile::encodeName(dir), 0700) != 0))
        return makeError("cannot create config folder " + dir.toStdString());
    c.configDir = QFileInfo(dir).absoluteFilePath();
    const QString path = d.filePath(QStringLiteral("server.conf"));
    if (!QFileInfo::exists(path))
        if (auto written = ConfigFile::fromText(defaultConfigText()).write(path); !written)
            return written.failure();
    for (const QString &trusted : {c.configDir, path})
        if (auto r = checkTrustedPath(trusted); !r)
            return r.failure();
    auto file = ConfigFile::read(path);
    if (!file)
        return makeError("server.conf: " + file.error());
    return parse(file.value(), c.configDir);
}

Result<ServerConfig> ServerConfig::readOrDefaults(const QString &dir)
{
    auto file = ConfigFile::read(QDir(dir).filePath(QStringLiteral("server.conf")));
    return parse(file ? file.value() : ConfigFile::fromText(defaultConfigText()), dir);
}

Result<ServerConfig> ServerConfig::parse(const ConfigFile &s, const QString &configDir)
{
    ServerConfig c;
    c.configDir = configDir;
    if (const QString problem = s.problem(); !problem.isEmpty())
        return makeError("server.conf: " + problem.toStdString() +
                             " is not a setting (key = value), a [section] or a comment (; ...)",
                         ErrorCode::InvalidArgument);
    const QString bind = stringValue(s, QStringLiteral("network/bind_address"), c.bindAddress);
    QHostAddress addr;
    if (bind != QLatin1String("localhost") && !addr.setAddress(bind))
        return makeError("server.conf: [network] bind_address = '" + bind.toStdString() + "' is not an IP address");
    c.bindAddress = bind;

#define SB_READ(member, key, lo, hi)                                                                                   \
    do {                                                                                                               \
        auto r = intValue(s, QStringLiteral(key), c.member, lo, hi);                                                   \
        if (!r)                                                                                                        \
            return r.failure();                                                                                        \
        c.member = decltype(c.member)(r.value());                                                                      \
    } while (0)
    SB_READ(port, "network/port", 1, 65535);
    SB_READ(maxBodyBytes, "network/max_body_bytes", 64, qint64(1) << 32);
    SB_READ(maxHeaderBytes, "network/max_header_bytes", 1024, 1024 * 1024);
    SB_READ(requestTimeoutS, "network/request_timeout_s", 1, kSecondsPerHour);
    SB_READ(idleTimeoutS, "network/idle_timeout_s", 1, kSecondsPerDay);
    SB_READ(firstByteTimeoutS, "network/first_byte_timeout_s", 1, kSecondsPerHour);
    SB_READ(maxConnections, "network/max_connections", 0, 1000000);
    SB_READ(maxConnectionsPerAddress, "network/max_connections_per_address", 0, 1000000);
    SB_READ(drainTimeoutS, "network/drain_timeout_s", 1, kSecondsPerHour);
    SB_READ(maxQueue, "limits/max_queue", 1, 1000000);
    SB_READ(maxSequences, "limits/max_sequences", 1, 4096);
    SB_READ(tokenExpireHours, "auth/token_expire_hours", 1, 24 * 365);
    SB_READ(maxTokenHours, "auth/max_token_hours", 1, 24 * 3650);
    SB_READ(leewaySeconds, "auth/leeway_seconds", 0, kSecondsPerHour);
    SB_READ(keyRotationDays, "auth/key_rotation_days", 0, 3650);
    SB_READ(keyRotationGraceHours, "auth/key_rotation_grace_hours", 0, 24 * 365);
    SB_READ(adminMaxFailures, "auth/admin_max_failures", 1, 1000000);
    SB_READ(adminFailureWindowS, "auth/admin_failure_window_s", 1, kSecondsPerDay);
    SB_READ(requestsPerMinute, "limits/requests_per_minute", 0, 1000000);
    SB_READ(tokensPerMinute, "limits/tokens_per_minute", 0, 1000000000);
    SB_READ(memoryBudgetMb, "model/memory_budget_mb", 0, 1 << 30);
    SB_READ(maxTokens, "model/max_tokens", 1, 1 << 20);
    SB_READ(maxTokensLimit, "model/max_tokens_limit", 1, 1 << 20);
    SB_READ(backupKeep, "backup/keep", 1, 10000);
    SB_READ(logMaxSizeMb, "logging/max_size_mb", 0, 1 << 20);
    SB_READ(logKeep, "logging/keep", 1, 10000);
#undef SB_READ
    if (c.tokenExpireHours > c.maxTokenHours)
        return makeError("server.conf: [auth] token_expire_hours must not exceed max_token_hours");

    auto model = readModelOptions(s, QStringLiteral("model"), c.modelOptions());
    if (!model)
        return model.failure();
    c.setModelOptions(model.value());
    auto sections = parseModelSections(s, c.configDir, model.value());
    if (!sections)
        return sections.failure();
    c.modelSections = std::move(sections.value());

    auto ssl = boolValue(s, QStringLiteral("network/ssl_enable"), c.sslEnable);
    if (!ssl)
        return ssl.failure();
    c.sslEnable = ssl.value();
    const QString cert = stringValue(s, QStringLiteral("network/ssl_cert"));
    const QString key = stringValue(s, QStringLiteral("network/ssl_key"));
    if (!cert.isEmpty())
        c.sslCert = QDir(c.configDir).absoluteFilePath(cert);
    if (!key.isEmpty())
        c.sslKey = QDir(c.configDir).absoluteFilePath(key);
    if (c.sslEnable && (cert.isEmpty() || key.isEmpty()))
        return makeError("server.conf: [network] ssl_enable = true needs both ssl_cert and ssl_key");

    for (const auto &[key, member] : {std::pair{QStringLiteral("allow"), &c.allow},
                                      std::pair{QStringLiteral("trusted_proxies"), &c.trustedProxies}}) {
        const QString text = stringValue(s, QStringLiteral("network/") + key);
        if (auto list = AddressList::parse(text); !list)
            return makeError("server.conf: [network] " + key.toStdString() + ": " + list.error());
        *member = text;
    }
    auto origins = parseCorsOrigins(stringValue(s, QStringLiteral("network/cors_origins")));
    if (!origins)
        return makeError("server.conf: [network] cors_origins: " + origins.error());
    c.corsOrigins = origins.value();

    const QString modelPath = stringValue(s, QStringLiteral("model/path"));
    if (modelPath == QLatin1String(kNoModel))
        c.modelPath = modelPath;
    else if (!modelPath.isEmpty())
        c.modelPath = QDir(c.configDir).absoluteFilePath(modelPath);
    for (const QString &folder : stringValue(s, QStringLiteral("model/folders"), QStringLiteral("models"))
                                     .split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!folder.trimmed().isEmpty())
            c.modelFolders << QDir(c.configDir).absoluteFilePath(folder.trimmed());
    for (const QString &name :
         stringValue(s, QStringLiteral("model/preload")).split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (!name.trimmed().isEmpty() && !c.preload.contains(name.trimmed()))
            c.preload << name.trimmed();
    auto daily = boolValue(s, QStringLiteral("logging/rotate_daily"), c.logRotateDaily);
    if (!daily)
        return daily.failure();
    c.logRotateDaily = daily.value();
    if (const QString logDir = stringValue(s, QStringLiteral("logging/dir"), QStringLiteral("logs"));
        !logDir.isEmpty() && logDir != QLatin1String("none"))
        c.logDir = QDir(c.configDir).absoluteFilePath(logDir);
    c.logLevel = stringValue(s, QStringLiteral("logging/level"), c.logLevel).toLower();
    if (LogLevel level; !parseLogLevel(c.logLevel, level))
        return makeError("server.conf: [logging] level must be debug, info, warning or error (not '" +
                         c.logLevel.toStdString() + "')");
    const QString data = stringValue(s, QStringLiteral("storage/data_dir"));
    c.dataDir = data.isEmpty() ? c.configDir : QDir::cleanPath(QDir(c.configDir).absoluteFilePath(data));
    auto database = parseDatabaseConfig(s, c.configDir);
    if (!database)
        return database.failure();
    c.database = database.value();
    c.backupDir =
        QDir(c.configDir).absoluteFilePath(stringValue(s, QStringLiteral("backup/dir"), QStringLiteral("backups")));
    if (const QString pass = stringValue(s, QStringLiteral("backup/passphrase_file")); !pass.isEmpty())
        c.backupPassphraseFile = QDir(c.configDir).absoluteFilePath(pass);
    c.backupSchedule = stringValue(s, QStringLiteral("backup/schedule"), c.backupSchedule);
    if (!QStringList{"off", "hourly", "daily"}.contains(c.backupSchedule))
        return makeError("server.conf: [backup] schedule must be off, hourly or daily (not '" +
                         c.backupSchedule.toStdString() + "')");
    auto aliases = parseModelAliases(stringValue(s, QStringLiteral("model/aliases")));
    if (!aliases)
        return aliases.failure();
    c.modelAliases = aliases.value();
    auto providers = parseProviders(s, c.configDir);
    if (!providers)
        return providers.failure();
    c.providers = std::move(providers.value());
    for (const ProviderConfig &p : c.providers)
        for (const auto &[alias, unused] : p.aliases)
            for (const auto &[name, target] : c.modelAliases)
                if (name == alias)
                    return makeError("server.conf: the alias '" + alias.toStdString() +
                                     "' is in both [model] aliases "
                                     "and [provider." +
                                     p.name.toStdString() + "] aliases");
    return c;
}

} // namespace smartbot
