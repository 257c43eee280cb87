// smartbotd config check --config DIR: server.conf checked as the server's start would check it, and then every
// file it names: the TLS certificate and key (the start-up verdict, certificate_report.h), the model folder (read
// as the engine reads it, engine::summarizeModel), the key files' modes, the backup passphrase file, and whether
// the log and backup folders can be written. Every problem is one line; exit 0 when there is none, else 1.
#include <QCommandLineParser>
#include <QDir>
#include <QSaveFile>
#include <QFileInfo>

#include <cstdio>
#include <unistd.h>

#include "backup/backup.h"
#include "core/config_file.h"
#include "core/demo_model.h"
#include "core/secret_files.h"
#include "core/server_config.h"
#include "daemon/cli.h"
#include "daemon/cli_admin_common.h"
#include "http/transport/certificate_report.h"
#include "service/model_pool.h"
#include "smartbot/engine/model_summary.h"

namespace smartbot::daemon {

namespace {
// A folder the server will write into: existing and writable, or creatable in a writable parent.
bool writableFolder(const QString &dir)
{
    QFileInfo info(dir);
    while (!info.exists() && info.absolutePath() != info.absoluteFilePath())
        info = QFileInfo(info.absolutePath());
    return info.isDir() && ::access(QFile::encodeName(info.absoluteFilePath()).constData(), W_OK | X_OK) == 0;
}

int configCheck(const QStringList &args)
{
    QCommandLineParser p;
    p.addHelpOption();
    p.addOption({QStringLiteral("config"), QStringLiteral("Config folder."), QStringLiteral("DIR")});
    p.process(args);
    if (!p.isSet(QStringLiteral("config")))
        return fail("--config DIR is required");
    const QString dir = QFileInfo(p.value(QStringLiteral("config"))).absoluteFilePath();
    const QString confPath = QDir(dir).filePath(QStringLiteral("server.conf"));
    if (!QFileInfo(confPath).isFile())
        return fail(confPath.toStdString() + " does not exist (smartbotd serve writes one with the defaults)");
    QStringList problems;
    for (const QString &trusted : {dir, confPath})
        if (auto r = checkTrustedPath(trusted); !r)
            problems << QString::fromStdString(r.error());
    auto file = ConfigFile::read(confPath);
    if (!file)
        return fail(file.error());
    auto parsed = ServerConfig::parse(file.value(), dir);
    if (!parsed) { // the rest depends on the values: this one first
        std::printf("problem: %s\n", parsed.error().c_str());
        for (const QString &problem : problems)
            std::printf("problem: %s\n", qPrintable(problem));
        return 1;
    }
    const ServerConfig &c = parsed.value();
    if (c.sslEnable) {
        const http::CertificateReport tls = http::inspectCertificateFiles(c.sslCert, c.sslKey);
        if (!tls.problem.isEmpty())
            problems << tls.problem;
        else if (!tls.warning.isEmpty())
            problems << QStringLiteral("ssl_cert %1 %2").arg(c.sslCert, tls.warning);
    }
    if (!c.modelPath.isEmpty() && c.modelPath != QLatin1String(kNoModel))
        if (auto model = engine::summarizeModel(QFile::encodeName(c.modelPath).toStdString()); !model)
            problems << QStringLiteral("[model] path: %1").arg(QString::fromStdString(model.error()));
    for (const ModelSection &m : c.modelSections)
        if (!m.path.isEmpty())
            if (auto model = engine::summarizeModel(QFile::encodeName(m.path).toStdString()); !model)
                problems << QStringLiteral("[model.%1] path: %2").arg(m.name, QString::fromStdString(model.error()));
    if (!c.preload.isEmpty()) {
        QStringList found;
        for (const auto &m : service::ModelPool::scanFolders(c.modelFolders))
            found << m.name;
        for (const ModelSection &m : c.modelSections)
            if (!m.path.isEmpty())
                found << m.name;
        for (const QString &name : c.preload)
            if (!found.contains(name))
                problems << QStringLiteral("[model] preload names '%1', which is not a model in [model] folders (%2)")
                                .arg(name, c.modelFolders.join(QStringLiteral(", ")));
    }
    if (c.dataDir != dir)
        if (auto r = checkTrustedPath(c.dataDir); !r)
            problems << QStringLiteral("[storage] data_dir: %1").arg(QString::fromStdString(r.error()));
    QStringList secrets{QDir(c.dataDir).filePath(QStringLiteral("admin.key")),
                        QDir(c.dataDir).filePath(QStringLiteral("auth/secret.key")),
                        QDir(c.dataDir).filePath(QStringLiteral("auth/database.key"))};
    for (const QString &file : {c.database.secretsKeyFile, c.database.passwordFile})
        if (c.database.isPostgreSql() && !file.isEmpty())
            secrets << file;
    for (const QString &path : secrets)
        if (QFileInfo::exists(path))
            if (auto r = checkPrivateFile(path); !r)
                problems << QString::fromStdString(r.error());
    if (!c.backupPassphraseFile.isEmpty())
        if (auto r = backup::readPassphraseFile(c.backupPassphraseFile); !r)
            problems << QStringLiteral("[backup] passphrase_file: %1").arg(QString::fromStdString(r.error()));
    const std::pair<QString, const char *> folders[] = {
        {c.dataDir, "[storage] data_dir"}, {c.logDir, "[logging] dir"}, {c.backupDir, "[backup] dir"}};
    for (const auto &[folder, key] : folders)
        if (!folder.isEmpty() && !writableFolder(folder))
            problems << QStringLiteral("%1 %2 cannot be written").arg(QLatin1String(key), folder);
    for (const QString &problem : problems)
        std::printf("problem: %s\n", qPrintable(problem));
    if (!problems.isEmpty())
        return 1;
    std::printf("ok: %s and the files it names are fine\n", qPrintable(confPath));
    return 0;
}
// Prints (or writes to --out) the default server.conf; --system: laid out for a system install (the package).
int configDefaults(const QStringList &args)
{
    QCommandLineParser p;
    p.addHelpOption();
    p.addOption({QStringLiteral("system"), QStringLiteral("The system install's layout (/var/lib, /var/log).")});
    p.addOption({QStringLiteral("out"), QStringLiteral("Write to FILE instead of stdout."), QStringLiteral("FILE")});
    p.process(args);
    QString text = ServerConfig::defaultConfigText();
    if (p.isSet(QStringLiteral("system"))) {
        auto system = ServerConfig::systemConfigText();
        if (!system)
            return fail(system.error());
        text = system.value();
    }
    if (!p.isSet(QStringLiteral("out"))) {
        std::fputs(text.toUtf8().constData(), stdout);
        return 0;
    }
    QSaveFile f(p.value(QStringLiteral("out")));
    if (!f.open(QIODevice::WriteOnly) || f.write(text.toUtf8()) < 0 || !f.commit())
        return fail("cannot write " + p.value(QStringLiteral("out")).toStdString() + ": " +
                    f.errorString().toStdString());
    return 0;
}
} // namespace

int runConfig(const QStringList &args)
{
    QStringList rest = args;
    const QString sub = rest.value(1);
    if (rest.size() > 1)
        rest.removeAt(1);
    if (sub == QLatin1String("check"))
        return configCheck(rest);
    if (sub == QLatin1String("defaults"))
        return configDefaults(rest);
    return fail("usage: smartbotd config check --config DIR | config defaults [--system] [--out FILE] (unknown '" +
                sub.toStdString() + "')");
}

} // namespace smartbot::daemon
