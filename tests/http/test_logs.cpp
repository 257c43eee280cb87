// The server's log against a real smartbotd: each request ends with one line (id, route, status, duration, client
// address) in logs/smartbot.log (0640 in a 0750 folder) and in GET /admin/logs, which pages with `after` and
// filters by level; [logging] level drops what is below it; no credential ever reaches the file.
#include <QJsonArray>
#include <QProcess>
#include <QtTest>

#include <sys/stat.h>

#include "../support/require_data.h"
#include "daemon_process.h"

namespace {
using Headers = QList<QPair<QByteArray, QByteArray>>;
int modeOf(const QString &path)
{
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 0777) : -1;
}
QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
} // namespace

class TestLogs : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void requestLinesInFileAndApi()
    {
        QTemporaryDir conf;
        DaemonProcess daemon;
        QVERIFY2(daemon.start(conf.path(), {"--model", "none"}), qPrintable(daemon.output()));
        const QByteArray adminKey = readFile(conf.filePath("admin.key")).trimmed();
        const Headers admin = {{"X-API-Key", adminKey}};
        const HttpReply chat = daemon.postJson("/api/v1/chat", {{"message", "hi"}}, {{"Authorization", "Bearer nope"}});
        QCOMPARE(chat.status, 401);
        QCOMPARE(daemon.request("GET", "/healthz").status, 200);

        const HttpReply all = daemon.request("GET", "/admin/logs?level=info", {}, admin);
        QCOMPARE(all.status, 200);
        const QJsonArray lines = all.json().value("lines").toArray();
        QString requestLine;
        for (const auto &l : lines)
            if (l.toObject().value("text").toString().contains("/api/v1/chat 401"))
                requestLine = l.toObject().value("text").toString();
        QVERIFY2(!requestLine.isEmpty(), all.body.constData());
        QVERIFY(requestLine.contains(" INFO request "));
        QVERIFY(requestLine.contains(" ms from 127.0.0.1"));
        for (const auto &l : lines) // health checks are debug lines: not at level info
            QVERIFY(!l.toObject().value("text").toString().contains("/healthz"));

        // Paging: after the last id only newer lines come back.
        const qint64 last = all.json().value("last_id").toInteger();
        QVERIFY(last > 0);
        QCOMPARE(daemon.postJson("/api/v1/chat", {{"message", "again"}}, {{"Authorization", "Bearer nope"}}).status,
                 401);
        const HttpReply newer = daemon.request("GET", "/admin/logs?after=" + QByteArray::number(last), {}, admin);
        const QJsonArray next = newer.json().value("lines").toArray();
        QVERIFY(!next.isEmpty());
        for (const auto &l : next)
            QVERIFY(l.toObject().value("id").toInteger() > last);
        const HttpReply errors = daemon.request("GET", "/admin/logs?level=error", {}, admin);
        for (const auto &l : errors.json().value("lines").toArray())
            QCOMPARE(l.toObject().value("level").toString(), QStringLiteral("error"));

        for (const char *bad : {"/admin/logs?level=loud", "/admin/logs?after=-1", "/admin/logs?limit=0"})
            QCOMPARE(daemon.request("GET", bad, {}, admin).status, 400);
        QCOMPARE(daemon.request("GET", "/admin/logs").status, 401);

        // The same line is in the file; the file and folder are private to the server's group; no key in it.
        const QString file = conf.filePath("logs/smartbot.log");
        QTRY_VERIFY(readFile(file).contains(requestLine.toUtf8()));
        QCOMPARE(modeOf(conf.filePath("logs")), 0750);
        QCOMPARE(modeOf(file), 0640);
        QVERIFY(!readFile(file).contains(adminKey));
        daemon.stop();
    }

    void levelDropsWhatIsBelow()
    {
        QTemporaryDir conf;
        QFile c(conf.filePath("server.conf"));
        QVERIFY(c.open(QIODevice::WriteOnly));
        c.write("[logging]\nlevel = warning\n");
        c.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
        c.close();
        // Started by hand: its "listening on" line, which DaemonProcess waits for, is info and so dropped.
        QProcess daemon;
        daemon.start(smartbotdPath(), {"serve", "--config", conf.path(), "--port", "0", "--model", "none"});
        QVERIFY(daemon.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(readFile(conf.filePath("logs/smartbot.log")).contains("no model configured"), 20000);
        QVERIFY(!readFile(conf.filePath("logs/smartbot.log")).contains("listening on"));
        QVERIFY(!daemon.readAllStandardError().contains("listening on")); // stderr follows the level too
        daemon.terminate();
        QVERIFY(daemon.waitForFinished(30000));
    }
};

QTEST_GUILESS_MAIN(TestLogs)
#include "test_logs.moc"
