// bench_database: the database's share of request costs, SQLite against PostgreSQL (a cluster of the bench's own,
// tests/http/postgres_cluster.h), one smartbotd each on loopback:
//  - API keys created per second (POST /admin/keys, one after another);
//  - GET /admin/keys latency (median and p90 of 20) with that many keys;
//  - key-authenticated chat requests per second (POST /api/v1/chat, stories260K, 8 tokens, `hey` with 32
//    concurrent clients) when hey is installed.
// Prints figures only. Run: ./build/tests/bench/bench_database [keys=10000] [chat seconds=10]
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "../http/daemon_process.h"
#include "../http/postgres_cluster.h"

namespace {

const QByteArray kAdminKey = "bench-database-admin-key-0123456789";

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? -1 : v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

// One driver's figures; false when the server did not start or answer.
bool measure(const QString &name, const QByteArray &database, int keys, int chatSeconds)
{
    QTemporaryDir dir;
    QFile conf(dir.filePath(QStringLiteral("server.conf")));
    conf.open(QIODevice::WriteOnly);
    conf.write("[logging]\ndir = none\n[limits]\nmax_queue = 4096\n[network]\nmax_connections = 2048\n" + database);
    conf.close();
    conf.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    QFile pass(dir.filePath(QStringLiteral("db.pass")));
    pass.open(QIODevice::WriteOnly);
    pass.write("bench-password\n");
    pass.close();
    pass.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SMARTBOT_ADMIN_KEY"), QString::fromLatin1(kAdminKey));
    DaemonProcess daemon;
    if (!daemon.start(dir.path(), {"--model", sharedModelDir()}, env)) {
        std::printf("%s: smartbotd did not start:\n%s\n", qPrintable(name), qPrintable(daemon.output()));
        return false;
    }
    const QList<QPair<QByteArray, QByteArray>> admin{{"X-API-Key", kAdminKey}};

    QElapsedTimer t;
    t.start();
    QByteArray chatKey;
    for (int i = 0; i < keys; ++i) {
        if (i % 100 == 0) // QProcess reads the daemon's log (a line per request) here; a full pipe stops the server
            QCoreApplication::processEvents();
        const auto r = daemon.postJson("/admin/keys", {{"name", QStringLiteral("k%1").arg(i)}}, admin);
        if (r.status != 201) {
            std::printf("%s: key %d answered %d %s\n", qPrintable(name), i, r.status, r.body.constData());
            return false;
        }
        if (chatKey.isEmpty())
            chatKey = r.json()["key"].toString().toLatin1();
    }
    const double createS = double(t.nsecsElapsed()) / 1e9;

    std::vector<double> listMs;
    qsizetype listed = 0;
    for (int i = 0; i < 20; ++i) {
        t.restart();
        const auto r = daemon.request("GET", "/admin/keys", {}, admin);
        listMs.push_back(double(t.nsecsElapsed()) / 1e6);
        listed = r.json()["keys"].toArray().size();
    }
    std::printf("RESULT %s: %d keys created in %.1f s (%.0f keys/s); GET /admin/keys with %lld keys: p50 %.1f ms, "
                "p90 %.1f ms\n",
                qPrintable(name), keys, createS, double(keys) / createS, qlonglong(listed), percentile(listMs, 0.5),
                percentile(listMs, 0.9));

    const QString hey = QStandardPaths::findExecutable(QStringLiteral("hey"));
    if (hey.isEmpty() || chatSeconds <= 0) {
        std::printf("RESULT %s: chat requests/s: SKIP (hey not installed)\n", qPrintable(name));
        return true;
    }
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(hey, {"-z", QStringLiteral("%1s").arg(chatSeconds), "-c", "32", "-m", "POST", "-T", "application/json",
                  "-H", QStringLiteral("Authorization: Bearer %1").arg(QString::fromLatin1(chatKey)), "-d",
                  R"({"message":"Once upon a time","max_tokens":8})",
                  QStringLiteral("http://127.0.0.1:%1/api/v1/chat").arg(daemon.port())});
    // Wait in the event loop: the daemon's log (a line per request) is read as it comes, or its pipe would fill
    // and stop the server.
    QEventLoop loop;
    QObject::connect(&p, &QProcess::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot((chatSeconds + 60) * 1000, &loop, &QEventLoop::quit);
    loop.exec();
    const QString out = QString::fromLocal8Bit(p.readAll());
    if (qEnvironmentVariableIsSet("BENCH_DATABASE_VERBOSE"))
        std::printf("%s\n", qPrintable(out));
    const auto rps = QRegularExpression(QStringLiteral("Requests/sec:\\s*([0-9.]+)")).match(out);
    const auto ok = QRegularExpression(QStringLiteral("\\[200\\]\\s+(\\d+) responses")).match(out);
    const auto p99 = QRegularExpression(QStringLiteral("99% in ([0-9.]+) secs")).match(out);
    std::printf("RESULT %s: key-authenticated chat (32 clients, %d s): %s requests/s, %s answered 200, p99 %s ms\n",
                qPrintable(name), chatSeconds, qPrintable(rps.captured(1)), qPrintable(ok.captured(1)),
                p99.hasMatch() ? qPrintable(QString::number(p99.captured(1).toDouble() * 1000, 'f', 1)) : "n/a");
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int keys = argc > 1 ? std::max(1, atoi(argv[1])) : 10000;
    const int chatSeconds = argc > 2 ? atoi(argv[2]) : 10;
    if (!QFileInfo::exists(sharedModelDir() + QStringLiteral("/config.json"))) {
        std::printf("test data missing: %s (../shared, see the README)\n", qPrintable(sharedModelDir()));
        return 1;
    }
    if (!measure(QStringLiteral("sqlite"), {}, keys, chatSeconds))
        return 1;
    PostgresCluster pg;
    if (const QString e = pg.start(); !e.isEmpty()) {
        std::printf("postgresql: %s\n", qPrintable(e));
        return 1;
    }
    if (const QString e =
            pg.createDatabase(QStringLiteral("bench"), QStringLiteral("bench"), QStringLiteral("bench-password"));
        !e.isEmpty()) {
        std::printf("postgresql: %s\n", qPrintable(e));
        return 1;
    }
    const QByteArray database = QStringLiteral("[database]\ndriver = postgresql\nport = %1\nname = bench\nuser = "
                                               "bench\npassword_file = db.pass\n")
                                    .arg(pg.port())
                                    .toUtf8();
    return measure(QStringLiteral("postgresql"), database, keys, chatSeconds) ? 0 : 1;
}
