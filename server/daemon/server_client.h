// ServerClient: a subcommand's line to the server that runs from a config folder, over the server's own port:
// [network] bind_address/port (loopback for 0.0.0.0 and ::), HTTPS trusting [network] ssl_cert so a self-signed
// certificate works. One blocking request at a time. Used by `smartbotd status` and `smartbotd model list|load|unload`.
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include "core/server_config.h"

namespace smartbot::daemon {

class ServerClient {
public:
    struct Reply {
        int status = 0; // 0: nothing answered (error says why)
        QJsonObject json;
        QString error;
    };

    explicit ServerClient(const ServerConfig &config);
    QString baseUrl() const { return base_; }
    // method GET or POST; body sent as JSON when not empty; adminKey as X-API-Key when not empty.
    Reply request(const QByteArray &method, const QString &path, const QJsonObject &body = {},
                  const QByteArray &adminKey = {}, int timeoutMs = 5000) const;

    // The admin key a command-line caller may use: $SMARTBOT_ADMIN_KEY, else the server's admin.key (readable by its
    // user and root only). Empty, with why, when there is none the caller can read.
    static QByteArray adminKey(const ServerConfig &config, QString &why);

private:
    const ServerConfig &config_;
    QString base_;
};

} // namespace smartbot::daemon
