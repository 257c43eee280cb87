#include "daemon_process.h"

#include <QHostAddress>

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QThread>

QString smartbotdPath()
{
    return QStringLiteral(SMARTBOTD_PATH);
}
QString sharedModelDir()
{
    return QStringLiteral(SMARTBOT_SHARED_DIR "/models/stories260K");
}

QByteArray HttpReply::header(const QByteArray &name) const
{
    for (const auto &[k, v] : headers)
        if (k.toLower() == name.toLower())
            return v;
    return {};
}

QJsonObject HttpReply::json() const
{
    return QJsonDocument::fromJson(body).object();
}
QString HttpReply::errorCode() const
{
    return json().value("error").toObject().value("code").toString();
}

DaemonProcess::~DaemonProcess()
{
    stop();
}

void DaemonProcess::drain()
{
    output_ += QString::fromUtf8(proc_.readAllStandardError());
    output_ += QString::fromUtf8(proc_.readAllStandardOutput());
}

bool DaemonProcess::start(const QString &configDir, const QStringList &extra, const QProcessEnvironment &env)
{
    proc_.setProcessEnvironment(env);
    proc_.start(smartbotdPath(), QStringList{"serve", "--config", configDir, "--port", "0"} + extra);
    const qsizetype from = output_.size(); // a restarted daemon: look at its own log only
    if (!proc_.waitForStarted(10000))
        return false;
    QElapsedTimer t;
    t.start();
    while (!output_.mid(from).contains(QStringLiteral("listening on"))) {
        if (t.elapsed() > 20000 || proc_.state() == QProcess::NotRunning)
            return false;
        proc_.waitForReadyRead(100);
        drain();
    }
    const auto m = QRegularExpression(QStringLiteral("listening on https?://[^:]+:(\\d+)")).match(output_.mid(from));
    port_ = quint16(m.captured(1).toUInt());
    return port_ != 0;
}

bool DaemonProcess::waitForLog(const QString &needle, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        drain();
        if (output_.contains(needle))
            return true;
        if (proc_.state() == QProcess::NotRunning)
            return false;
        proc_.waitForReadyRead(100);
    }
    drain();
    return output_.contains(needle);
}

void DaemonProcess::stop()
{
    if (proc_.state() != QProcess::NotRunning) {
        proc_.terminate();
        if (!proc_.waitForFinished(10000))
            proc_.kill();
        proc_.waitForFinished(5000);
    }
    drain();
}

HttpReply HttpEndpoint::raw(const QByteArray &request, int timeoutMs) const
{
    HttpReply r;
    QTcpSocket s;
    if (!sourceAddress_.isEmpty() && !s.bind(QHostAddress(sourceAddress_)))
        return r;
    s.connectToHost(QStringLiteral("127.0.0.1"), port_);
    if (!s.waitForConnected(5000))
        return r;
    s.write(request);
    s.waitForBytesWritten(5000);
    QByteArray data;
    QElapsedTimer t;
    t.start();
    qsizetype headEnd = -1;
    qint64 contentLength = -1;
    while (t.elapsed() < timeoutMs) {
        if (!s.waitForReadyRead(200) && s.state() != QAbstractSocket::ConnectedState && s.bytesAvailable() == 0)
            break;
        data += s.readAll();
        if (headEnd < 0 && (headEnd = data.indexOf("\r\n\r\n")) >= 0) {
            const QList<QByteArray> lines = data.left(headEnd).split('\n');
            r.status = lines.value(0).split(' ').value(1).toInt();
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const qsizetype c = lines[i].indexOf(':');
                if (c > 0)
                    r.headers.push_back({lines[i].left(c).trimmed(), lines[i].mid(c + 1).trimmed()});
            }
            const QByteArray cl = r.header("Content-Length");
            contentLength = cl.isEmpty() ? -1 : cl.toLongLong();
            if (r.status == 204 || r.status == 304) // no body, whatever the headers say
                contentLength = 0;
        }
        if (headEnd >= 0 && contentLength >= 0 && data.size() >= headEnd + 4 + contentLength)
            break;
    }
    if (headEnd >= 0)
        r.body = data.mid(headEnd + 4);
    return r;
}

HttpReply HttpEndpoint::request(const QByteArray &method, const QByteArray &path, const QByteArray &body,
                                const QList<QPair<QByteArray, QByteArray>> &headers) const
{
    QByteArray req = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto &[k, v] : headers)
        req += k + ": " + v + "\r\n";
    if (!body.isEmpty() || method == "POST")
        req += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    req += "\r\n" + body;
    return raw(req);
}

HttpReply HttpEndpoint::postJson(const QByteArray &path, const QJsonObject &body,
                                 const QList<QPair<QByteArray, QByteArray>> &headers) const
{
    auto h = headers;
    h.push_back({"Content-Type", "application/json"});
    return request("POST", path, QJsonDocument(body).toJson(QJsonDocument::Compact), h);
}
