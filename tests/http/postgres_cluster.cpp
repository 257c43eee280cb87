#include "postgres_cluster.h"

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>

#include <pwd.h>
#include <unistd.h>

quint16 PostgresCluster::freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort(); // closed again when probe goes
}

QString PostgresCluster::databaseSection(const QString &name, const QString &extra, const QString &user) const
{
    return QStringLiteral("[database]\ndriver = postgresql\nhost = 127.0.0.1\nport = %1\nname = %2\nuser = %3\n"
                          "password_file = db.pass\n%4\n")
        .arg(port_)
        .arg(name, user, extra);
}

QString PostgresCluster::writePasswordFile(const QString &dir, const QString &password, QFile::Permissions mode)
{
    QFile pass(QDir(dir).filePath(QStringLiteral("db.pass")));
    if (!pass.open(QIODevice::WriteOnly) || pass.write(password.toUtf8() + "\n") < 0)
        return QStringLiteral("cannot write %1: %2").arg(pass.fileName(), pass.errorString());
    pass.close();
    if (!pass.setPermissions(mode))
        return QStringLiteral("cannot set the mode of %1").arg(pass.fileName());
    return {};
}

QString PostgresCluster::binDir()
{
    const QString initdb = QStandardPaths::findExecutable(QStringLiteral("initdb"));
    if (!initdb.isEmpty())
        return QFileInfo(initdb).canonicalFilePath().section(QLatin1Char('/'), 0, -2);
    QDir versions(QStringLiteral("/usr/lib/postgresql"));
    QStringList found = versions.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    std::sort(found.begin(), found.end(), [](const QString &a, const QString &b) { return a.toInt() < b.toInt(); });
    for (auto it = found.crbegin(); it != found.crend(); ++it)
        if (QFileInfo::exists(versions.filePath(*it + QStringLiteral("/bin/initdb"))))
            return versions.filePath(*it + QStringLiteral("/bin"));
    return {};
}

QString PostgresCluster::run(const QString &program, const QStringList &args, int timeoutMs, bool *ok)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.setWorkingDirectory(dir_.path());
    const QString exe = QDir(binDir()).filePath(program);
    if (asNobody_)
        p.start(QStringLiteral("runuser"),
                QStringList{QStringLiteral("-u"), QStringLiteral("nobody"), QStringLiteral("--"), exe} + args);
    else
        p.start(exe, args);
    const bool finished = p.waitForFinished(timeoutMs);
    const QString out = QString::fromLocal8Bit(p.readAll());
    if (ok)
        *ok = finished && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    return out;
}

QString PostgresCluster::start()
{
    if (binDir().isEmpty())
        return QStringLiteral("PostgreSQL is not installed (initdb, pg_ctl): installers/setup-debian.sh installs the "
                              "postgresql package");
    if (!dir_.isValid())
        return QStringLiteral("cannot make a temporary folder");
    asNobody_ = ::geteuid() == 0;
    if (asNobody_) {
        const passwd *nobody = ::getpwnam("nobody");
        if (!nobody || ::chown(QFile::encodeName(dir_.path()).constData(), nobody->pw_uid, nobody->pw_gid) != 0)
            return QStringLiteral("running as root, and cannot hand %1 to the user nobody").arg(dir_.path());
    }
    data_ = dir_.filePath(QStringLiteral("data"));
    bool ok = false;
    const QString out =
        run(QStringLiteral("initdb"),
            {QStringLiteral("-D"), data_, QStringLiteral("-U"), QStringLiteral("postgres"),
             QStringLiteral("--auth-local=trust"), QStringLiteral("--auth-host=scram-sha-256"),
             QStringLiteral("--no-sync"), QStringLiteral("-E"), QStringLiteral("UTF8"), QStringLiteral("--locale=C")},
            120000, &ok);
    if (!ok)
        return QStringLiteral("initdb failed: ") + out;
    port_ = freePort();
    return restart();
}

QString PostgresCluster::restart()
{
    bool ok = false;
    // fsync off: these tests are about SmartBot's behaviour, not PostgreSQL's durability, and it halves their time.
    const QString options = QStringLiteral("-p %1 -k %2 -c listen_addresses=127.0.0.1 -c fsync=off "
                                           "-c max_connections=200")
                                .arg(port_)
                                .arg(dir_.path());
    const QString out = run(QStringLiteral("pg_ctl"),
                            {QStringLiteral("-D"), data_, QStringLiteral("-o"), options, QStringLiteral("-l"),
                             dir_.filePath(QStringLiteral("server.log")), QStringLiteral("-w"), QStringLiteral("-t"),
                             QStringLiteral("60"), QStringLiteral("start")},
                            90000, &ok);
    if (!ok) {
        QFile log(dir_.filePath(QStringLiteral("server.log")));
        log.open(QIODevice::ReadOnly);
        return QStringLiteral("pg_ctl start failed: ") + out + QString::fromLocal8Bit(log.readAll());
    }
    running_ = true;
    return {};
}

QString PostgresCluster::stop()
{
    if (!running_)
        return {};
    bool ok = false;
    const QString out = run(QStringLiteral("pg_ctl"),
                            {QStringLiteral("-D"), data_, QStringLiteral("-m"), QStringLiteral("fast"),
                             QStringLiteral("-w"), QStringLiteral("stop")},
                            60000, &ok);
    if (!ok)
        return QStringLiteral("pg_ctl stop failed: ") + out;
    running_ = false;
    return {};
}

PostgresCluster::~PostgresCluster()
{
    stop();
}

QString PostgresCluster::psql(const QString &sql, const QString &database, QString *error)
{
    bool ok = false;
    const QString out =
        run(QStringLiteral("psql"),
            {QStringLiteral("-h"), dir_.path(), QStringLiteral("-p"), QString::number(port_), QStringLiteral("-U"),
             QStringLiteral("postgres"), QStringLiteral("-d"), database, QStringLiteral("-v"),
             QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-At"), QStringLiteral("-c"), sql},
            60000, &ok);
    if (error)
        *error = ok ? QString() : (out.isEmpty() ? QStringLiteral("psql failed") : out);
    return out.trimmed();
}

QString PostgresCluster::createDatabase(const QString &name, const QString &user, const QString &password)
{
    QString error;
    psql(QStringLiteral("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%1') THEN CREATE ROLE "
                        "\"%1\" LOGIN PASSWORD '%2'; END IF; END$$")
             .arg(user, password),
         QStringLiteral("postgres"), &error);
    if (!error.isEmpty())
        return error;
    psql(QStringLiteral("CREATE DATABASE \"%1\" OWNER \"%2\"").arg(name, user), QStringLiteral("postgres"), &error);
    return error;
}
