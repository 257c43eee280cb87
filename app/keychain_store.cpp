#include "app/keychain_store.h"

#include <QDir>
#include <QEventLoop>
#include <QFileInfo>

#include <qt6keychain/keychain.h>

namespace smartbot::app {

namespace {
// Runs a job to completion; returns its error text ("" on success; kNotFound for a missing entry).
const QString kNotFound = QStringLiteral("not found");
QString run(QKeychain::Job &job)
{
    job.setAutoDelete(false);
    QEventLoop loop;
    QObject::connect(&job, &QKeychain::Job::finished, &loop, &QEventLoop::quit);
    job.start();
    loop.exec();
    if (job.error() == QKeychain::NoError)
        return {};
    if (job.error() == QKeychain::EntryNotFound)
        return kNotFound;
    return job.errorString().isEmpty() ? QStringLiteral("keychain error %1").arg(int(job.error())) : job.errorString();
}
} // namespace

KeychainStore::KeychainStore(QString service) : service_(std::move(service)) {}

QString KeychainStore::serviceFor(const QString &configDir)
{
    return QStringLiteral("SmartBot:") + QFileInfo(configDir).absoluteFilePath();
}

Result<void> KeychainStore::write(const QString &name, const QByteArray &secret) const
{
    QKeychain::WritePasswordJob job(service_);
    job.setKey(name);
    job.setBinaryData(secret);
    if (const QString e = run(job); !e.isEmpty())
        return makeError("cannot store " + name.toStdString() + " in the keychain: " + e.toStdString());
    return {};
}

Result<QByteArray> KeychainStore::read(const QString &name) const
{
    QKeychain::ReadPasswordJob job(service_);
    job.setKey(name);
    if (const QString e = run(job); !e.isEmpty())
        return makeError(name.toStdString() + " in the keychain: " + e.toStdString(),
                         e == kNotFound ? ErrorCode::NotFound : ErrorCode::Unavailable);
    return job.binaryData();
}

Result<void> KeychainStore::remove(const QString &name) const
{
    QKeychain::DeletePasswordJob job(service_);
    job.setKey(name);
    if (const QString e = run(job); !e.isEmpty() && e != kNotFound)
        return makeError("cannot remove " + name.toStdString() + " from the keychain: " + e.toStdString());
    return {};
}

} // namespace smartbot::app
