// RotatingLogFile (core/rotating_log_file.h): rotation by size and by day (an injected clock), rotated files
// gzip-compressed (read back with zcat) and pruned to `keep`, modes 0750/0640, and not one line lost or split at a
// rotation (every line written is found exactly once, in order).
#include <QProcess>
#include <QtTest>

#include <sys/stat.h>
#include <utime.h>

#include "core/rotating_log_file.h"

using namespace smartbot;

namespace {
int modeOf(const QString &path)
{
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 0777) : -1;
}
QStringList zcat(const QString &path)
{
    QProcess p;
    p.start(QStringLiteral("zcat"), {path});
    p.waitForFinished();
    return QString::fromUtf8(p.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
}
QStringList plain(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts) : QStringList();
}
// Every line in dir: the rotated files oldest first, then the active one.
QStringList allLines(const QString &dir)
{
    QStringList out;
    for (const QString &name : QDir(dir).entryList({"smartbot-*.log.gz"}, QDir::Files, QDir::Name))
        out += zcat(QDir(dir).filePath(name));
    return out + plain(QDir(dir).filePath("smartbot.log"));
}
QString lineNumber(int i)
{
    return QStringLiteral("2026-12-01T00:00:00.000Z INFO line %1 of the test, padded to look like a log line")
        .arg(i, 5, 10, QLatin1Char('0'));
}
} // namespace

class TestRotatingLogFile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void bySizeLosesNothing()
    {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("logs");
        qint64 now = 1'800'000'000;
        RotatingLogFile log({dir, QStringLiteral("smartbot"), 8 * 1024, 1000, true}, [&] { return now; });
        QVERIFY(log.open().ok());
        QCOMPARE(modeOf(dir), 0750);
        QCOMPARE(modeOf(log.path()), 0640);
        constexpr int kLines = 2000;
        for (int i = 0; i < kLines; ++i) {
            log.write(lineNumber(i));
            if (i % 100 == 0)
                ++now; // rotations in different seconds and within one
        }
        log.waitForCompression();
        const QStringList gz = QDir(dir).entryList({"smartbot-*.log.gz"}, QDir::Files, QDir::Name);
        QVERIFY2(gz.size() >= 10, qPrintable(gz.join(',')));
        QVERIFY(QDir(dir).entryList({"*.log"}, QDir::Files) == QStringList{"smartbot.log"}); // all others compressed
        for (const QString &name : gz) {
            QCOMPARE(modeOf(QDir(dir).filePath(name)), 0640);
            QVERIFY(!zcat(QDir(dir).filePath(name)).isEmpty());
        }
        const QStringList lines = allLines(dir);
        QCOMPARE(lines.size(), kLines);
        for (int i = 0; i < kLines; ++i)
            QCOMPARE(lines[i], lineNumber(i));
        for (const QString &name : gz) // each rotated file stayed under the limit before compression
            QVERIFY(zcat(QDir(dir).filePath(name)).join('\n').size() + 1 <= 8 * 1024);
    }

    void byDay()
    {
        QTemporaryDir tmp;
        qint64 now = 1'800'000'000 - 1'800'000'000 % 86400 + 86400 - 5; // five seconds before midnight UTC
        RotatingLogFile log({tmp.path(), QStringLiteral("smartbot"), 0, 7, true}, [&] { return now; });
        QVERIFY(log.open().ok());
        log.write("day one, a");
        log.write("day one, b");
        now += 10; // the next day
        log.write("day two");
        log.waitForCompression();
        const QStringList gz = QDir(tmp.path()).entryList({"smartbot-*.log.gz"}, QDir::Files);
        QCOMPARE(gz.size(), 1);
        QCOMPARE(zcat(tmp.filePath(gz.first())), (QStringList{"day one, a", "day one, b"}));
        QCOMPARE(plain(log.path()), QStringList{"day two"});
    }

    void fileFromAnEarlierDayRotatesFirst()
    {
        QTemporaryDir tmp;
        {
            QFile old(tmp.filePath("smartbot.log"));
            QVERIFY(old.open(QIODevice::WriteOnly));
            old.write("yesterday\n");
        }
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        struct utimbuf times {
            time_t(now - 2 * 86400), time_t(now - 2 * 86400)
        };
        QCOMPARE(::utime(QFile::encodeName(tmp.filePath("smartbot.log")).constData(), &times), 0);
        RotatingLogFile log({tmp.path(), QStringLiteral("smartbot"), 0, 7, true}, [&] { return now; });
        QVERIFY(log.open().ok());
        log.write("today");
        log.waitForCompression();
        QCOMPARE(allLines(tmp.path()), (QStringList{"yesterday", "today"}));
        QCOMPARE(plain(log.path()), QStringList{"today"});
    }

    void keepsTheNewest_data()
    {
        QTest::addColumn<int>("keep");
        QTest::newRow("1") << 1;
        QTest::newRow("3") << 3;
    }
    void keepsTheNewest()
    {
        QFETCH(int, keep);
        QTemporaryDir tmp;
        qint64 now = 1'800'000'000;
        RotatingLogFile log({tmp.path(), QStringLiteral("smartbot"), 256, keep, false}, [&] { return now; });
        QVERIFY(log.open().ok());
        for (int i = 0; i < 60; ++i) {
            log.write(lineNumber(i));
            log.waitForCompression(); // in order, so that pruning sees each file
            ++now;
        }
        const QStringList gz = QDir(tmp.path()).entryList({"smartbot-*.log.gz"}, QDir::Files, QDir::Name);
        QCOMPARE(gz.size(), keep);
        const QStringList newest = zcat(tmp.filePath(gz.last()));
        QVERIFY(!newest.isEmpty());
        QVERIFY(allLines(tmp.path()).endsWith(lineNumber(59)));
    }
};

QTEST_GUILESS_MAIN(TestRotatingLogFile)
#include "test_rotating_log_file.moc"
