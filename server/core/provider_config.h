// ProviderConfig: one [provider.NAME] section of server.conf, an upstream OpenAI-compatible platform that chat
// requests naming "NAME/model" are relayed to (server/relay/). The platform key is never in server.conf: headless it
// is read from <config>/providers/NAME.env (API_KEY=..., mode 0600, the deployment guide's api_key.env); the desktop
// app passes it from the OS keychain instead.
// Plain values and functions; file access only in the key functions.
#pragma once

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <vector>

#include "core/model_aliases.h"
#include "smartbot/common/result.h"

namespace smartbot {

class ConfigFile;

struct ProviderConfig {
    QString name;                // [provider.NAME]: letters, digits, '-' and '_'
    QList<QUrl> baseUrls;        // base_url: one, or several separated by commas (a fleet of equal servers)
    QStringList models;          // models: the upstream names clients may ask for; empty with discoverModels
    bool discoverModels = false; // models = *: any name; /v1/models lists what the provider's /models lists
    int timeoutS = 120;          // timeout_s: longest wait for the answer's head, and then between two of its bytes
    int connectTimeoutS = 10;    // connect_timeout_s: TCP (and TLS) connection
    int maxConcurrent = 32;      // max_concurrent: requests in flight to this provider; more get 503 upstream_busy
    int retries = 2;             // retries: extra attempts after a connect error, 429 or 5xx, before the first byte
    QString caFile;              // ca_file: PEM CA certificates trusted for this provider (besides the system's)
    int breakerFailures = 5;     // breaker_failures: consecutive failures that open the circuit
    int breakerCooldownS = 30;   // breaker_cooldown_s: how long it stays open before one trial request
    int healthCheckS = 10;       // health_check_s: a fleet's base_urls are probed (GET /models) this often; 0 = off
    // aliases = "name: upstream model, ...": names clients may use instead of "NAME/model" (e.g. "gpt-4o-mini:
    // gpt-4o-mini", so that an application written for the platform works unchanged). Each target is one of models
    // (any name with models = *); a name has no '/' and belongs to one provider only, and not to [model] aliases.
    // A local model of the same name wins: prompts do not leave the machine because an alias shadows a model.
    ModelAliases aliases;

    // The model a client names (after "NAME/") is one this provider serves here.
    bool serves(const QString &model) const { return discoverModels || models.contains(model); }
};

// The [provider.*] sections of file, in file order. Errors read "server.conf: [provider.NAME] key ...".
// An alias two providers both claim is an error naming both.
Result<std::vector<ProviderConfig>> parseProviders(const ConfigFile &file, const QString &configDir);

// A provider name as [provider.NAME] and the key file allow it.
bool isValidProviderName(const QString &name);

struct ProviderKey {
    QByteArray key;  // the platform key
    QDateTime setAt; // when it was set (API_KEY_SET_AT=, written by set-key; else the file's modification time)
};

// The text of a key file (and of the desktop's keychain entry): "API_KEY=...\nAPI_KEY_SET_AT=<ISO time>\n".
QByteArray providerKeyText(const QByteArray &key, const QDateTime &setAt);
// The key and date of such a text (quotes around the key removed); an error when it holds no API_KEY= line.
// setAt is invalid when the text has no API_KEY_SET_AT= line.
Result<ProviderKey> parseProviderKeyText(const QByteArray &text);

// <configDir>/providers/NAME.env
QString providerKeyPath(const QString &configDir, const QString &name);
// Reads the key file: refused when group or others may read it, or when it holds no API_KEY= line.
Result<ProviderKey> readProviderKey(const QString &configDir, const QString &name);
// Writes the key file (0600, atomically; the folder 0700), stamped with now.
Result<void> writeProviderKey(const QString &configDir, const QString &name, const QByteArray &key,
                              const QDateTime &now);

} // namespace smartbot
