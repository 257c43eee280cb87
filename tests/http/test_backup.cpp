// Backups through the real CLI (smartbotd backup create|verify|restore|list) against a real smartbotd:
// - a backup taken while the daemon serves chat traffic, restored into a new folder, gives a daemon on which the
//   API key and the unexpired token still authenticate, the revoked token stays revoked, the audit log and usage are
//   there, the database passes integrity_check and the secret files keep their modes;
// - verify names what was done to an archive: a changed, missing, added or truncated member, a wrong passphrase, an
//   altered manifest;
// - bad input is one line and exit 1, and leaves no file behind (also when the disk fills while writing).
#include <QDir>
#include <QJsonArray>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

#include <sys/stat.h>

#include "../support/require_data.h"
#include "daemon_process.h"

namespace {
using Headers = QList<QPair<QByteArray, QByteArray>>;

struct Run {
    int code = -1;
    QString out, err;
};
Run smartbotd(const QStringList &args, const QString &shellPrefix = {})
{
    QProcess p;
    if (shellPrefix.isEmpty()) {
        p.start(smartbotdPath(), args);
    } else { // e.g. a file-size limit: through bash, then exec
        QStringList quoted;
        for (const QString &a : args)
            quoted << "'" + a + "'";
        p.start(QStringLiteral("bash"), {"-c", shellPrefix + "; exec '" + smartbotdPath() + "' " + quoted.join(' ')});
    }
    if (!p.waitForFinished(120000))
        return {};
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}
int modeOf(const QString &path)
{
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 0777) : -1;
}
void writeFile(const QString &path, const QByteArray &data, int mode)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(data);
    f.close();
    ::chmod(QFile::encodeName(path).constData(), mode_t(mode));
}
QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
// The archive's members, in order, extracted into dir (GNU tar).
QStringList untar(const QString &archive, const QString &dir)
{
    QDir().mkpath(dir);
    QProcess tar;
    tar.start(QStringLiteral("tar"), {"-xzf", archive, "-C", dir});
    tar.waitForFinished();
    QProcess list;
    list.start(QStringLiteral("tar"), {"-tzf", archive});
    list.waitForFinished();
    return QString::fromUtf8(list.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
}
bool retar(const QString &dir, const QStringList &members, const QString &archive)
{
    QFile::remove(archive);
    QProcess tar;
    tar.start(QStringLiteral("tar"), QStringList{"-czf", archive, "-C", dir} + members);
    return tar.waitForFinished() && tar.exitCode() == 0;
}
// No temporary or partial files left in dir.
QStringList leftovers(const QString &dir)
{
    QStringList out;
    for (const QFileInfo &f : QDir(dir).entryInfoList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot))
        if (f.fileName().endsWith(".part") || f.fileName().startsWith(".smartbot-backup-") ||
            f.fileName().contains(".restoring-"))
            out << f.fileName();
    return out;
}
} // namespace

class TestBackup : public QObject {
    Q_OBJECT
    QTemporaryDir work;
    QString passFile, wrongPassFile;

    QString path(const QString &name) const { return work.filePath(name); }

    // A config folder with a secret (no daemon needed): server.conf, a database, auth/secret.key (0400).
    QString smallConfig(const QString &name)
    {
        const QString dir = path(name);
        Run r = smartbotd({"key", "create", "--config", dir, "--name", "k"}); // creates server.conf + smartbot.db
        if (r.code != 0)
            qWarning("%s", qPrintable(r.err));
        writeFile(dir + "/auth/secret.key", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==\n", 0400);
        ::chmod(QFile::encodeName(dir + "/auth").constData(), 0700);
        return dir;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(QFileInfo::exists(smartbotdPath()));
        passFile = path("pass");
        wrongPassFile = path("wrong");
        writeFile(passFile, "correct horse battery staple\n", 0600);
        writeFile(wrongPassFile, "incorrect horse\n", 0600);
    }

    void roundTripWhileServing()
    {
        REQUIRE_DATA(sharedModelDir() + "/config.json");
        const QString from = path("live"), to = path("restored");
        DaemonProcess daemon;
        QVERIFY2(daemon.start(from, {"--model", sharedModelDir()}), qPrintable(daemon.output()));
        QVERIFY2(daemon.waitForLog(QStringLiteral(" ready: "), 60000), qPrintable(daemon.output())); // model loaded
        const Headers admin = {{"X-API-Key", readFile(from + "/admin.key").trimmed()}};
        const HttpReply key = daemon.postJson("/admin/keys", {{"name", "backed-up"}}, admin);
        QCOMPARE(key.status, 201);
        const QByteArray apiKey = key.json().value("key").toString().toLatin1();
        const auto issue = [&](const char *user) {
            return daemon.postJson("/admin/token", {{"username", user}, {"expires_in", 3600}}, admin).json();
        };
        const QByteArray token = issue("alice").value("token").toString().toLatin1();
        const QJsonObject revoked = issue("mallory");
        QCOMPARE(daemon.postJson("/admin/token/revoke", {{"jti", revoked.value("jti")}}, admin).status, 200);
        const auto chat = [](const DaemonProcess &d, const QByteArray &credential) {
            return d.postJson("/api/v1/chat", {{"message", "Once upon a time"}, {"max_tokens", 2}},
                              {{"Authorization", "Bearer " + credential}});
        };
        QCOMPARE(chat(daemon, apiKey).status, 200);

        // The backup runs while chat requests keep writing usage and audit records.
        QProcess backup;
        const QString archive = path("live.tar.gz");
        backup.start(smartbotdPath(),
                     {"backup", "create", "--config", from, "--out", archive, "--passphrase-file", passFile});
        int served = 0;
        while (backup.state() != QProcess::NotRunning || served == 0) {
            QCOMPARE(chat(daemon, served % 2 ? apiKey : token).status, 200);
            ++served;
            backup.waitForFinished(10);
        }
        QVERIFY2(backup.exitCode() == 0, backup.readAllStandardError().constData());
        qInfo("%d chat requests served while the backup ran", served);
        QCOMPARE(modeOf(archive), 0600);

        Run verified = smartbotd({"backup", "verify", archive, "--passphrase-file", passFile});
        QVERIFY2(verified.code == 0, qPrintable(verified.err));
        QVERIFY(verified.out.startsWith("ok: "));
        Run restored = smartbotd({"backup", "restore", archive, "--config", to, "--passphrase-file", passFile});
        QVERIFY2(restored.code == 0, qPrintable(restored.err));
        QCOMPARE(modeOf(to), 0700);
        QCOMPARE(modeOf(to + "/admin.key"), 0600);
        QCOMPARE(modeOf(to + "/auth/secret.key"), 0400);
        QCOMPARE(readFile(to + "/auth/secret.key"), readFile(from + "/auth/secret.key"));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", "restored");
            db.setDatabaseName(to + "/smartbot.db");
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec("PRAGMA integrity_check") && q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("ok"));
        }
        QSqlDatabase::removeDatabase("restored");

        daemon.stop();
        DaemonProcess second;
        QVERIFY2(second.start(to, {"--model", sharedModelDir()}), qPrintable(second.output()));
        QVERIFY2(second.waitForLog(QStringLiteral(" ready: "), 60000), qPrintable(second.output()));
        QCOMPARE(chat(second, apiKey).status, 200);
        QCOMPARE(chat(second, token).status, 200);
        const HttpReply denied = chat(second, revoked.value("token").toString().toLatin1());
        QCOMPARE(denied.status, 401);
        QVERIFY(denied.body.contains("revoked"));
        const Headers admin2 = {{"X-API-Key", readFile(to + "/admin.key").trimmed()}};
        QCOMPARE(admin2, admin);
        const HttpReply audit = second.request("GET", "/admin/audit?limit=500", {}, admin2);
        QVERIFY(audit.body.contains("token.revoke"));
        const HttpReply usage = second.request("GET", "/admin/usage", {}, admin2);
        QVERIFY2(usage.body.contains("backed-up") || usage.body.contains(apiKey.left(11)), usage.body.constData());
        second.stop();
    }

    // A system install's layout: the config folder holds server.conf only (read-only for the service), the data
    // folder ([storage] data_dir) the database and the secrets. The daemon writes nothing into the config folder;
    // a backup carries the data folder as data/...; a restore puts it where the restored server.conf says, with the
    // same rules as the config folder (refused when not empty, moved aside with --force).
    void separateDataFolder()
    {
        const QString etc = path("system/etc"), data = path("system/var/smartbot");
        writeFile(
            etc + "/server.conf",
            "[storage]\ndata_dir = ../var/smartbot\n[logging]\ndir = ../log\n[backup]\ndir = ../var/smartbot/backups\n",
            0644);
        ::chmod(QFile::encodeName(etc).constData(), 0755);
        Run key = smartbotd({"key", "create", "--config", etc, "--name", "in-data"});
        QVERIFY2(key.code == 0, qPrintable(key.err));
        QCOMPARE(modeOf(data), 0700);
        QVERIFY(QFileInfo::exists(data + "/smartbot.db"));
        {
            DaemonProcess daemon; // with the config folder read-only, as under ProtectSystem=strict
            ::chmod(QFile::encodeName(etc).constData(), 0555);
            QVERIFY2(daemon.start(etc, {"--model", "none"}), qPrintable(daemon.output()));
            QCOMPARE(daemon.request("GET", "/healthz").status, 200);
            daemon.stop();
            ::chmod(QFile::encodeName(etc).constData(), 0755);
        }
        QCOMPARE(QDir(etc).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
                 QStringList{"server.conf"});
        QCOMPARE(modeOf(data + "/admin.key"), 0600);
        QCOMPARE(modeOf(data + "/auth/secret.key"), 0400);
        QVERIFY(QFileInfo::exists(path("system/log/smartbot.log")));

        const QString archive = path("system.tar.gz");
        Run made = smartbotd({"backup", "create", "--config", etc, "--out", archive, "--passphrase-file", passFile});
        QVERIFY2(made.code == 0, qPrintable(made.err));
        const QStringList members = untar(archive, path("system-x"));
        for (const char *m : {"config/server.conf", "data/admin.key", "data/auth/secret.key", "database/smartbot.db"})
            QVERIFY2(members.contains(m), qPrintable(members.join(' ')));
        for (const QString &m : members)
            QVERIFY2(!m.startsWith("config/smartbot") && !m.startsWith("data/smartbot.db") && !m.contains("backups/"),
                     qPrintable(m));

        const QString etc2 = path("system2/etc"), data2 = path("system2/var/smartbot");
        Run restored = smartbotd({"backup", "restore", archive, "--config", etc2, "--passphrase-file", passFile});
        QVERIFY2(restored.code == 0, qPrintable(restored.err));
        QCOMPARE(QDir(etc2).entryList(QDir::Files), QStringList{"server.conf"});
        QCOMPARE(readFile(data2 + "/admin.key"), readFile(data + "/admin.key"));
        QCOMPARE(modeOf(data2 + "/auth/secret.key"), 0400);
        Run listed = smartbotd({"key", "list", "--config", etc2});
        QVERIFY2(listed.code == 0 && listed.out.contains("in-data"), qPrintable(listed.out + listed.err));

        // Into a new config folder whose data folder is not empty: refused, nothing written; --force moves it aside.
        const QString etc3 = path("system2/etc3");
        writeFile(data2 + "/marker", "old", 0600);
        Run refused = smartbotd({"backup", "restore", archive, "--config", etc3, "--passphrase-file", passFile});
        QCOMPARE(refused.code, 1);
        QVERIFY2(refused.err.contains("data_dir") && refused.err.contains("not empty"), qPrintable(refused.err));
        QVERIFY(!QFileInfo::exists(etc3));
        QCOMPARE(leftovers(path("system2/var")), QStringList());
        Run forced =
            smartbotd({"backup", "restore", archive, "--config", etc3, "--passphrase-file", passFile, "--force"});
        QVERIFY2(forced.code == 0, qPrintable(forced.err));
        QVERIFY2(forced.out.contains("the old data folder is now"), qPrintable(forced.out));
        QVERIFY(!QFileInfo::exists(data2 + "/marker"));
        QVERIFY(QFileInfo::exists(data2 + "/smartbot.db"));
    }

    void verifyNamesTheProblem_data()
    {
        QTest::addColumn<QString>("tamper");
        QTest::addColumn<QString>("message");
        QTest::newRow("changed") << "changed"
                                 << "changed: config/server.conf";
        QTest::newRow("missing") << "missing"
                                 << "missing: database/smartbot.db";
        QTest::newRow("added") << "added"
                               << "added: config/extra.txt";
        QTest::newRow("truncated") << "truncated"
                                   << "truncated";
        QTest::newRow("wrong passphrase") << "wrong"
                                          << "wrong passphrase";
        QTest::newRow("manifest altered") << "manifest"
                                          << "manifest was altered";
        QTest::newRow("secret swapped") << "sealed"
                                        << "changed: config/auth/secret.key";
        QTest::newRow("not an archive") << "garbage"
                                        << "not a SmartBot backup";
    }
    void verifyNamesTheProblem()
    {
        QFETCH(QString, tamper);
        QFETCH(QString, message);
        const QString conf = smallConfig("tamper-" + tamper);
        const QString archive = path("tamper-" + tamper + ".tar.gz");
        Run made = smartbotd({"backup", "create", "--config", conf, "--out", archive, "--passphrase-file", passFile});
        QVERIFY2(made.code == 0, qPrintable(made.err));
        const QString x = path("x-" + tamper);
        QStringList members = untar(archive, x);
        QCOMPARE(members.first(), QStringLiteral("manifest.json"));
        QString pass = passFile;
        if (tamper == "changed") {
            QFile f(x + "/config/server.conf");
            QVERIFY(f.open(QIODevice::Append));
            f.write("; edited\n");
        } else if (tamper == "missing") {
            members.removeAll("database/smartbot.db");
        } else if (tamper == "added") {
            writeFile(x + "/config/extra.txt", "hello\n", 0644);
            members << "config/extra.txt";
        } else if (tamper == "manifest") { // claims another hash, so that a changed member would pass
            QByteArray m = readFile(x + "/manifest.json");
            const int at = m.indexOf("\"sha256\": \"") + 11;
            m[at] = m[at] == 'a' ? 'b' : 'a';
            writeFile(x + "/manifest.json", m, 0600);
        } else if (tamper == "sealed") {
            QByteArray s = readFile(x + "/config/auth/secret.key");
            s[s.size() - 1] = char(s[s.size() - 1] ^ 1);
            writeFile(x + "/config/auth/secret.key", s, 0400);
        } else if (tamper == "wrong") {
            pass = wrongPassFile;
        }
        if (tamper != "wrong")
            QVERIFY(retar(x, members, archive));
        if (tamper == "truncated") {
            QFile f(archive);
            QVERIFY(f.resize(f.size() / 2));
        } else if (tamper == "garbage") {
            writeFile(archive, QByteArray(4096, 'z'), 0600);
        }
        Run r = smartbotd({"backup", "verify", archive, "--passphrase-file", pass});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QCOMPARE(r.err.count('\n'), 1); // one line
        // Restore refuses the same archive and leaves nothing behind.
        const QString target = path("into-" + tamper);
        Run restore = smartbotd({"backup", "restore", archive, "--config", target, "--passphrase-file", pass});
        QCOMPARE(restore.code, 1);
        QVERIFY(!QFileInfo::exists(target));
        QCOMPARE(leftovers(work.path()), QStringList());
    }

    void refusals_data()
    {
        QTest::addColumn<QString>("what");
        QTest::addColumn<QString>("message");
        QTest::newRow("secrets, no passphrase") << "nopass"
                                                << "--passphrase-file FILE or --without-secrets";
        QTest::newRow("passphrase file readable by others") << "openpass"
                                                            << "pass-open";
        QTest::newRow("missing folder") << "nofolder"
                                        << "does not exist";
        QTest::newRow("unknown subcommand") << "unknown"
                                            << "unknown 'frobnicate'";
        QTest::newRow("restore over a folder") << "notempty"
                                               << "is not empty";
        QTest::newRow("restore without passphrase") << "needpass"
                                                    << "give it to restore";
        QTest::newRow("disk full") << "full"
                                   << "cannot write";
    }
    void refusals()
    {
        QFETCH(QString, what);
        QFETCH(QString, message);
        const QString conf = smallConfig("refuse-" + what);
        const QString out = path("refuse-" + what + ".tar.gz");
        Run r;
        if (what == "nopass") {
            r = smartbotd({"backup", "create", "--config", conf, "--out", out});
        } else if (what == "openpass") {
            writeFile(path("pass-open"), "secret\n", 0644);
            r = smartbotd({"backup", "create", "--config", conf, "--out", out, "--passphrase-file", path("pass-open")});
        } else if (what == "nofolder") {
            r = smartbotd({"backup", "create", "--config", path("nowhere"), "--out", out, "--without-secrets"});
        } else if (what == "unknown") {
            r = smartbotd({"backup", "frobnicate"});
        } else if (what == "notempty" || what == "needpass") {
            QCOMPARE(
                smartbotd({"backup", "create", "--config", conf, "--out", out, "--passphrase-file", passFile}).code, 0);
            QVERIFY(QFile::remove(out + ".keep") || true);
            if (what == "notempty") {
                r = smartbotd({"backup", "restore", out, "--config", conf, "--passphrase-file", passFile});
                QCOMPARE(r.code, 1);
                QVERIFY2(r.err.contains(message), qPrintable(r.err));
                // --force moves the old folder aside and restores.
                Run forced =
                    smartbotd({"backup", "restore", out, "--config", conf, "--passphrase-file", passFile, "--force"});
                QVERIFY2(forced.code == 0, qPrintable(forced.err));
                QVERIFY(forced.out.contains(".before-restore-"));
                return;
            }
            r = smartbotd({"backup", "restore", out, "--config", path("fresh-" + what)});
            QVERIFY(!QFileInfo::exists(path("fresh-" + what)));
        } else if (what == "full") {
            // The model folder makes the archive larger than the file-size limit; writes then fail with EFBIG.
            REQUIRE_DATA(sharedModelDir() + "/config.json");
            QFile conf2(conf + "/server.conf");
            QVERIFY(conf2.open(QIODevice::Append));
            conf2.write(("\n[model]\npath = " + sharedModelDir() + "\n").toUtf8());
            conf2.close();
            r = smartbotd(
                {"backup", "create", "--config", conf, "--out", out, "--passphrase-file", passFile, "--with-models"},
                "ulimit -f 400; trap '' XFSZ");
            QVERIFY(!QFileInfo::exists(out));
        }
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QCOMPARE(r.err.count('\n'), 1);
        if (what != "notempty" && what != "needpass")
            QVERIFY(!QFileInfo::exists(out));
        QCOMPARE(leftovers(work.path()), QStringList());
    }

    // POST /admin/backups (+ GET, + verify): the same engine over HTTP, the passphrase from [backup] passphrase_file,
    // retention by [backup] keep.
    void overHttp()
    {
        const QString conf = path("http");
        writeFile(conf + "/backup.pass", "over http\n", 0600);
        writeFile(conf + "/server.conf", "[backup]\npassphrase_file = backup.pass\nkeep = 2\n", 0600);
        ::chmod(QFile::encodeName(conf).constData(), 0700);
        DaemonProcess daemon;
        QVERIFY2(daemon.start(conf, {"--model", "none"}), qPrintable(daemon.output()));
        const Headers admin = {{"X-API-Key", readFile(conf + "/admin.key").trimmed()}};
        QCOMPARE(daemon.postJson("/admin/backups", {}).status, 401);
        QStringList names;
        for (int i = 0; i < 3; ++i) {
            const HttpReply made = daemon.postJson("/admin/backups", {}, admin);
            QVERIFY2(made.status == 201, made.body.constData());
            QVERIFY(made.json().value("secrets_sealed").toBool());
            names << made.json().value("name").toString();
        }
        const HttpReply list = daemon.request("GET", "/admin/backups", {}, admin);
        QCOMPARE(list.status, 200);
        const QJsonArray kept = list.json().value("backups").toArray();
        QCOMPARE(kept.size(), 2); // keep = 2: the oldest went
        QCOMPARE(kept[0].toObject().value("name").toString(), names[2]);
        const HttpReply ok = daemon.postJson("/admin/backups/verify", {{"name", names[2]}}, admin);
        QVERIFY2(ok.status == 200, ok.body.constData());
        QVERIFY(ok.json().value("secrets_checked").toBool());
        const HttpReply wrong =
            daemon.postJson("/admin/backups/verify", {{"name", names[2]}, {"passphrase", "nope"}}, admin);
        QCOMPARE(wrong.status, 422);
        QVERIFY(wrong.body.contains("wrong passphrase"));
        QCOMPARE(daemon.postJson("/admin/backups/verify", {{"name", "../server.conf"}}, admin).status, 400);
        QCOMPARE(daemon.postJson("/admin/backups/verify", {{"name", "missing.tar.gz"}}, admin).status, 404);
        // The CLI restores what the server made, with the same passphrase file.
        Run restored = smartbotd({"backup", "restore", conf + "/backups/" + names[2], "--config", path("http-restored"),
                                  "--passphrase-file", conf + "/backup.pass"});
        QVERIFY2(restored.code == 0, qPrintable(restored.err));
        QCOMPARE(readFile(path("http-restored") + "/admin.key"), readFile(conf + "/admin.key"));
        daemon.stop();
    }

    void listNewestFirst()
    {
        const QString conf = smallConfig("listed");
        for (int i = 0; i < 2; ++i)
            QCOMPARE(smartbotd({"backup", "create", "--config", conf, "--passphrase-file", passFile}).code, 0);
        Run r = smartbotd({"backup", "list", "--config", conf});
        QCOMPARE(r.code, 0);
        const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 2);
        QVERIFY(lines[0].contains("secrets sealed"));
        QVERIFY(lines[0] > lines[1] || lines[0].section(' ', 0, 0) != lines[1].section(' ', 0, 0));
    }
};

QTEST_GUILESS_MAIN(TestBackup)
#include "test_backup.moc"
