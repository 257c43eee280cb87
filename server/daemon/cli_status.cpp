// smartbotd status --config DIR: asks the server of a config folder, over its own port, whether it serves:
// GET /readyz at [network] bind_address/port (loopback for 0.0.0.0 and ::; HTTPS trusting [network] ssl_cert, so a
// self-signed certificate works). Prints one line. Exit 0: ready; 1: running but not ready (loading, draining);
// 3: not running (nothing answers), as LSB status commands do; 2: bad usage or an unreadable config.
#include <QCommandLineParser>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QTimer>

#include <cstdio>
#include <memory>

#include "core/server_config.h"
#include "daemon/cli.h"
#include "daemon/cli_admin_common.h"

namespace smartbot::daemon {

int runStatus(const QStringList &args)
{
    QCommandLineParser p;
    p.addHelpOption();
    p.addOption({QStringLiteral("config"), QStringLiteral("Config folder."), QStringLiteral("DIR")});
    p.process(args);
    if (!p.isSet(QStringLiteral("config"))) {
        fail("--config DIR is required");
        return 2;
    }
    auto config = ServerConfig::loadOrCreate(p.value(QStringLiteral("config")));
    if (!config) {
        fail(config.error());
        return 2;
    }
    const ServerConfig &c = config.value();
    QString host = c.bindAddress;
    if (host == QLatin1String("0.0.0.0") || host == QLatin1String("localhost"))
        host = QStringLiteral("127.0.0.1");
    else if (host == QLatin1String("::"))
        host = QStringLiteral("[::1]");
    else if (host.contains(QLatin1Char(':')))
        host = QLatin1Char('[') + host + QLatin1Char(']');
    const QString base = QStringLiteral("%1://%2:%3").arg(c.sslEnable ? "https" : "http", host).arg(c.port);
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    QNetworkRequest request(QUrl(base + QStringLiteral("/readyz")));
    request.setTransferTimeout(5000);
    if (c.sslEnable) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        QFile cert(c.sslCert);
        if (cert.open(QIODevice::ReadOnly))
            tls.setCaCertificates(tls.caCertificates() + QSslCertificate::fromData(cert.readAll()));
        request.setSslConfiguration(tls);
    }
    std::unique_ptr<QNetworkReply> reply(nam.get(request));
    QEventLoop loop;
    QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 0) {
        std::printf("not running: nothing answers at %s (%s)\n", qPrintable(base), qPrintable(reply->errorString()));
        return 3;
    }
    const QJsonObject body = QJsonDocument::fromJson(reply->readAll()).object();
    const QString state = body.value(QStringLiteral("status")).toString();
    const QString model = body.value(QStringLiteral("model")).toString();
    if (status == 200) {
        std::printf("ready at %s, serving %s\n", qPrintable(base), model.isEmpty() ? "no model" : qPrintable(model));
        return 0;
    }
    std::printf("running at %s but %s\n", qPrintable(base), state.isEmpty() ? "not ready" : qPrintable(state));
    return 1;
}

} // namespace smartbot::daemon
