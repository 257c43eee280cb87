// Test helper: runs the real smartbotd on a free port and talks to it over real sockets.
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>

struct HttpReply {
    int status = 0;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray header(const QByteArray &name) const;
    QJsonObject json() const;
    QString errorCode() const;
};

// Requests over real sockets to a port on 127.0.0.1: a daemon, or nginx in front of several.
class HttpEndpoint {
public:
    explicit HttpEndpoint(quint16 port = 0) : port_(port) {}
    quint16 port() const { return port_; }
    // Local address the test's client sockets bind to before connecting (e.g. 127.0.0.2); empty: any.
    void setSourceAddress(const QString &address) { sourceAddress_ = address; }

    // One request on a fresh connection; raw bytes, so malformed requests can be sent too.
    HttpReply raw(const QByteArray &request, int timeoutMs = 20000) const;
    HttpReply request(const QByteArray &method, const QByteArray &path, const QByteArray &body = {},
                      const QList<QPair<QByteArray, QByteArray>> &headers = {}) const;
    HttpReply postJson(const QByteArray &path, const QJsonObject &body,
                       const QList<QPair<QByteArray, QByteArray>> &headers = {}) const;

protected:
    quint16 port_ = 0;
    QString sourceAddress_;
};

class DaemonProcess : public HttpEndpoint {
public:
    ~DaemonProcess();
    // Starts `smartbotd serve --config dir --port 0 [extra]`; waits for the "listening on" line.
    bool start(const QString &configDir, const QStringList &extra = {},
               const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());
    bool waitForLog(const QString &needle, int timeoutMs = 20000);
    void stop();
    // Everything it has logged so far (stdout and stderr).
    QString output()
    {
        drain();
        return output_;
    }
    QProcess &process() { return proc_; }

private:
    void drain();
    QProcess proc_;
    QString output_;
};

QString smartbotdPath();
QString sharedModelDir();
