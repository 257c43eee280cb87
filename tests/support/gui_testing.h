// What the GUI panel tests share: finding a named child widget, starting the in-process server on a loopback port
// with ../shared's stories260K, and one HTTP POST over a real socket.
#pragma once

#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

#include "http/server/smartbot_server.h"

namespace smartbot::testsupport {

inline const QString kStoriesModel = QStringLiteral(SMARTBOT_SHARED_DIR "/models/stories260K");

// The child named `name` (warns when there is none, so a renamed widget is easy to spot).
template <typename T> T *child(QObject *root, const char *name)
{
    T *w = root->findChild<T *>(QLatin1String(name));
    if (!w)
        qWarning("no %s named %s", T::staticMetaObject.className(), name);
    return w;
}

// Starts `server` with its config in `config`, on 127.0.0.1 and a free port, with stories260K; true once the model is
// ready (60 s at most). The caller checks the data first: REQUIRE_DATA(kStoriesModel + "/config.json").
inline bool startWithModel(http::SmartbotServer &server, const QTemporaryDir &config)
{
    http::ServerOverrides o;
    o.modelPath = kStoriesModel;
    o.port = 0;
    o.bindAddress = QStringLiteral("127.0.0.1");
    auto started = server.start(config.path(), o);
    if (!started) {
        qWarning("server did not start: %s", started.error().c_str());
        return false;
    }
    return QTest::qWaitFor([&] { return server.modelState() == service::InferenceWorker::ModelState::Ready; }, 60000);
}

// The admin key a started server wrote to its config folder.
inline QByteArray adminKeyOf(const QTemporaryDir &config)
{
    QFile f(config.filePath(QStringLiteral("admin.key")));
    return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed() : QByteArray();
}

struct HttpReply {
    int status = 0; // 0: no answer within 20 s
    QByteArray body;
};

// POST `body` (JSON) to http://127.0.0.1:port + path with one extra header (e.g. Authorization, X-API-Key).
inline HttpReply postJson(quint16 port, const QString &path, const QByteArray &body, const QByteArray &header,
                          const QByteArray &value)
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader(header, value);
    request.setTransferTimeout(15000);
    std::unique_ptr<QNetworkReply> reply(nam.post(request, body));
    QSignalSpy done(reply.get(), &QNetworkReply::finished);
    if (!done.wait(20000) && !reply->isFinished())
        return {};
    return {reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll()};
}

// A short chat request with a bearer credential (API key or JWT); the HTTP status.
inline int chatWith(quint16 port, const QByteArray &credential)
{
    return postJson(port, QStringLiteral("/api/v1/chat"), R"({"message":"Once upon","max_tokens":4})", "Authorization",
                    "Bearer " + credential)
        .status;
}

} // namespace smartbot::testsupport
