#include "daemon/server_client.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QSslCertificate>
#include <QSslConfiguration>

#include <memory>

namespace smartbot::daemon {

ServerClient::ServerClient(const ServerConfig &config) : config_(config)
{
    QString host = config.bindAddress;
    if (host == QLatin1String("0.0.0.0") || host == QLatin1String("localhost"))
        host = QStringLiteral("127.0.0.1");
    else if (host == QLatin1String("::"))
        host = QStringLiteral("[::1]");
    else if (host.contains(QLatin1Char(':')))
        host = QLatin1Char('[') + host + QLatin1Char(']');
    base_ = QStringLiteral("%1://%2:%3").arg(config.sslEnable ? "https" : "http", host).arg(config.port);
}

ServerClient::Reply ServerClient::request(const QByteArray &method, const QString &path, const QJsonObject &body,
                                          const QByteArray &adminKey, int timeoutMs) const
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    QNetworkRequest request(QUrl(base_ + path));
    request.setTransferTimeout(timeoutMs);
    if (config_.sslEnable) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        QFile cert(config_.sslCert);
        if (cert.open(QIODevice::ReadOnly))
            tls.setCaCertificates(tls.caCertificates() + QSslCertificate::fromData(cert.readAll()));
        request.setSslConfiguration(tls);
    }
    if (!adminKey.isEmpty())
        request.setRawHeader("X-API-Key", adminKey);
    QByteArray payload;
    if (!body.isEmpty()) {
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        payload = QJsonDocument(body).toJson(QJsonDocument::Compact);
    }
    std::unique_ptr<QNetworkReply> reply(nam.sendCustomRequest(request, method, payload));
    QEventLoop loop;
    QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    Reply out;
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.json = QJsonDocument::fromJson(reply->readAll()).object();
    if (out.status == 0)
        out.error = QStringLiteral("nothing answers at %1 (%2)").arg(base_, reply->errorString());
    else if (out.status >= 400)
        out.error = out.json.value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString();
    return out;
}

QByteArray ServerClient::adminKey(const ServerConfig &config, QString &why)
{
    const QByteArray env = qgetenv("SMARTBOT_ADMIN_KEY");
    if (!env.isEmpty())
        return env;
    QFile f(QDir(config.dataDir).filePath(QStringLiteral("admin.key")));
    if (!f.open(QIODevice::ReadOnly)) {
        why = QStringLiteral("no admin key: set SMARTBOT_ADMIN_KEY, or run as the server's user to read %1 (%2)")
                  .arg(f.fileName(), f.errorString());
        return {};
    }
    return f.readAll().trimmed();
}

} // namespace smartbot::daemon
