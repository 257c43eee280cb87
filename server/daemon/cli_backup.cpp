// smartbotd backup create|verify|restore|list: the backup engine (server/backup/backup.h) from the command line.
// Every failure is one line naming the problem and exit code 1; nothing half-written is left behind.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

#include <cstdio>
#include <sys/stat.h>

#include "backup/backup.h"
#include "core/audit_log.h"
#include "core/server_config.h"
#include "core/storage.h"
#include "daemon/cli.h"
#include "daemon/cli_admin_common.h"

namespace smartbot::daemon {

namespace {

const QCommandLineOption kPassphraseFile(QStringLiteral("passphrase-file"),
                                         QStringLiteral("File whose first line is the passphrase (mode 600)."),
                                         QStringLiteral("FILE"));

Result<QByteArray> passphraseOf(const QCommandLineParser &p)
{
    if (!p.isSet(kPassphraseFile))
        return QByteArray();
    return backup::readPassphraseFile(p.value(kPassphraseFile));
}

QString describe(const backup::BackupSummary &s)
{
    return QStringLiteral("%1  %2  %3 members, %4 bytes, secrets %5%6")
        .arg(QFileInfo(s.path).fileName(), s.created.toString(Qt::ISODate))
        .arg(s.members)
        .arg(s.bytes)
        .arg(s.encrypted ? QStringLiteral("sealed")
                         : (s.secretsLeftOut.isEmpty() ? QStringLiteral("none") : QStringLiteral("left out")),
             s.withModels ? QStringLiteral(", with models") : QString());
}

void audit(const QString &configDir, const QString &action, const QString &detail)
{
    auto config = ServerConfig::readOrDefaults(configDir);
    if (!config)
        return;
    if (auto storage = Storage::open(config->dataDir, config->database); storage)
        AuditLog(*storage.value()).record(cliActor(), QStringLiteral("local"), action, detail);
}

int backupCreate(const QStringList &args)
{
    QCommandLineParser p;
    p.addHelpOption();
    p.addOption({QStringLiteral("config"), QStringLiteral("Config folder."), QStringLiteral("DIR")});
    p.addOption({QStringLiteral("out"), QStringLiteral("Archive to write (default: DIR/backups/<time>.tar.gz)."),
                 QStringLiteral("FILE")});
    p.addOption(kPassphraseFile);
    p.addOption({QStringLiteral("without-secrets"), QStringLiteral("Leave the key files out instead of sealing.")});
    p.addOption({QStringLiteral("with-models"), QStringLiteral("Add the model folders.")});
    p.process(args);
    if (!p.isSet(QStringLiteral("config")))
        return fail("--config DIR is required");
    const QString configDir = p.value(QStringLiteral("config"));
    if (!QFileInfo(configDir).isDir())
        return fail("config folder " + configDir.toStdString() + " does not exist");
    auto passphrase = passphraseOf(p);
    if (!passphrase)
        return fail(passphrase.error());
    QString out = p.value(QStringLiteral("out"));
    if (out.isEmpty()) {
        auto config = ServerConfig::loadOrCreate(configDir);
        if (!config)
            return fail(config.error());
        const QString folder = config->backupDir;
        if (!QFileInfo(folder).isDir() && ::mkdir(QFile::encodeName(folder).constData(), 0700) != 0)
            return fail("cannot create " + folder.toStdString());
        out = backup::newBackupPath(folder);
    }
    backup::CreateOptions o;
    o.configDir = configDir;
    o.outPath = out;
    o.passphrase = passphrase.value();
    o.withoutSecrets = p.isSet(QStringLiteral("without-secrets"));
    o.withModels = p.isSet(QStringLiteral("with-models"));
    o.version = QCoreApplication::applicationVersion();
    auto made = backup::createBackup(o);
    if (!made) {
        if (made.failure().code == ErrorCode::InvalidArgument && o.passphrase.isEmpty())
            return fail(made.error() + " (--passphrase-file FILE or --without-secrets)");
        return fail(made.error());
    }
    audit(configDir, QStringLiteral("backup.create"), QFileInfo(out).fileName());
    std::printf("%s\n", qPrintable(describe(made.value())));
    return 0;
}

int backupVerify(const QStringList &args)
{
    QCommandLineParser p;
    p.addHelpOption();
    p.addPositionalArgument(QStringLiteral("file"), QStringLiteral("The archive."));
    p.addOption(kPassphraseFile);
    p.process(args);
    if (p.positionalArguments().size() != 1)
        return fail("usage: smartbotd backup verify FILE [--passphrase-file F]");
    auto passphrase = passphraseOf(p);
    if (!passphrase)
        return fail(passphrase.error());
    auto report = backup::verifyBackup(p.positionalArguments().first(), passphrase.value());
    if (!report)
        return fail(report.error());
    std::printf("ok: %s%s\n", qPrintable(describe(report->summary)),
                report->secretsChecked ? "" : " (sealed secrets not opened: no passphrase given)");
    return 0;
}

int backupRestore(const QStringList &args)
{
    QCommandLineParser p;
    p.addHelpOption();
    p.addPositionalArgument(QStringLiteral("file"), QStringLiteral("The archive."));
    p.addOption({QStringLiteral("config"), QStringLiteral("Config folder to restore into."), QStringLiteral("DIR")});
    p.addOption(kPassphraseFile);
    p.addOption({QStringLiteral("force"), QStringLiteral("Move a non-empty DIR aside first.")});
    p.process(args);
    if (p.positionalArguments().size() != 1 || !p.isSet(QStringLiteral("config")))
        return fail("usage: smartbotd backup restore FILE --config NEW_DIR [--passphrase-file F] [--force]");
    auto passphrase = passphraseOf(p);
    if (!passphrase)
        return fail(passphrase.error());
    backup::RestoreOptions o;
    o.archive = p.positionalArguments().first();
    o.configDir = p.value(QStringLiteral("config"));
    o.passphrase = passphrase.value();
    o.force = p.isSet(QStringLiteral("force"));
    auto report = backup::restoreBackup(o);
    if (!report)
        return fail(report.error());
    audit(o.configDir, QStringLiteral("backup.restore"), QFileInfo(o.archive).fileName());
    std::printf("restored %s into %s%s\n", qPrintable(QFileInfo(o.archive).fileName()), qPrintable(o.configDir),
                report->movedAside.isEmpty()
                    ? ""
                    : qPrintable(QStringLiteral(" (the old folder is now %1)").arg(report->movedAside)));
    if (!report->dataMovedAside.isEmpty())
        std::printf("the old data folder is now %s\n", qPrintable(report->dataMovedAside));
    return 0;
}

int backupList(const QStringList &args)
{
    QCommandLineParser p;
    p.addHelpOption();
    p.addOption({QStringLiteral("config"), QStringLiteral("Config folder."), QStringLiteral("DIR")});
    p.process(args);
    if (!p.isSet(QStringLiteral("config")))
        return fail("--config DIR is required");
    const QString configDir = p.value(QStringLiteral("config"));
    if (!QFileInfo(configDir).isDir())
        return fail("config folder " + configDir.toStdString() + " does not exist");
    auto config = ServerConfig::loadOrCreate(configDir);
    if (!config)
        return fail(config.error());
    for (const auto &s : backup::listBackups(config->backupDir))
        std::printf("%s\n", qPrintable(describe(s)));
    return 0;
}

} // namespace

int runBackup(const QStringList &args)
{
    static const std::pair<const char *, int (*)(const QStringList &)> kCommands[] = {
        {"create", backupCreate}, {"verify", backupVerify}, {"restore", backupRestore}, {"list", backupList}};
    QStringList rest = args;
    const QString sub = rest.value(1);
    if (rest.size() > 1)
        rest.removeAt(1);
    for (const auto &[name, run] : kCommands)
        if (sub == QLatin1String(name))
            return run(rest);
    return fail("usage: smartbotd backup create|verify|restore|list ... (unknown '" + sub.toStdString() + "')");
}

} // namespace smartbot::daemon
