// Admin routes for backups (server/backup/backup.h), written into [backup] dir:
//   POST /admin/backups          {"passphrase"?, "with_models"?} -> 201 the backup made
//   GET  /admin/backups          -> {"backups": [...]} newest first
//   POST /admin/backups/verify   {"name", "passphrase"?} -> 200 {"ok": true, ...} or 422 naming every problem
// Without "passphrase" the [backup] passphrase_file is used; with neither, the key files are left out (the reply's
// secrets_left_out names them; backup::makeServerBackup). The work runs on Qt's thread pool; the reply comes when it is
// done (the request stays open meanwhile). One backup at a time per process (409 backup_running otherwise). Restoring
// is not offered over HTTP: a running server cannot replace its own folder (smartbotd backup restore, or the desktop
// app, into a new folder).
#include "http/server/routes.h"

#include "http/routes/admin_request.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QPointer>
#include <QTcpSocket>
#include <QThreadPool>

#include <memory>
#include <sys/stat.h>

#include "backup/backup.h"
#include "http/protocol/request_helpers.h"

namespace smartbot::http {

namespace {
using Method = QHttpServerRequest::Method;

QJsonObject summaryJson(const backup::BackupSummary &s)
{
    QJsonArray leftOut;
    for (const QString &name : s.secretsLeftOut)
        leftOut.append(name);
    return {{QStringLiteral("name"), QFileInfo(s.path).fileName()},
            {QStringLiteral("created"), s.created.toString(Qt::ISODate)},
            {QStringLiteral("bytes"), s.bytes},
            {QStringLiteral("members"), s.members},
            {QStringLiteral("secrets_sealed"), s.encrypted},
            {QStringLiteral("secrets_left_out"), leftOut},
            {QStringLiteral("with_models"), s.withModels},
            {QStringLiteral("smartbot_version"), s.smartbotVersion}};
}

// The passphrase of a request: its "passphrase" field, or none (then [backup] passphrase_file decides).
std::optional<ApiError> passphraseOf(const QJsonObject &body, QByteArray &out)
{
    const QJsonValue v = body.value(QStringLiteral("passphrase"));
    if (!v.isUndefined() && (!v.isString() || v.toString().isEmpty()))
        return badRequest(QStringLiteral("field 'passphrase' must be a non-empty string"),
                          QStringLiteral("invalid_request"), QStringLiteral("passphrase"));
    out = v.toString().toUtf8();
    return std::nullopt;
}

// Runs work on the thread pool and answers with its result on the socket's thread (dropped if the client left).
template <typename Work, typename Answer>
void offThread(QTcpSocket *socket, QHttpServerResponder &&responder, Work work, Answer answer)
{
    auto held = std::make_shared<QHttpServerResponder>(std::move(responder));
    QPointer<QTcpSocket> context(socket);
    QThreadPool::globalInstance()->start(
        [held = std::move(held), context, work = std::move(work), answer = std::move(answer)]() mutable {
            auto result = work();
            backup::releaseThreadCrypto(); // the pool keeps this thread: see backup.h
            if (!context)
                return; // the client is gone; held is released here, never written
            QMetaObject::invokeMethod(
                context.data(),
                [held = std::move(held), result = std::move(result), answer = std::move(answer)]() mutable {
                    answer(*held, result);
                },
                Qt::QueuedConnection);
        });
}

void handleCreate(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &&responder,
                  QTcpSocket *socket)
{
    Principal who;
    if (!admitAdmin(ctx, request, responder, who))
        return;
    QJsonObject body;
    if (!request.body().trimmed().isEmpty())
        if (auto e = jsonBody(request, body))
            return writeError(responder, *e);
    QByteArray passphrase;
    if (auto e = passphraseOf(body, passphrase))
        return writeError(responder, *e);
    const bool withModels = body.value(QStringLiteral("with_models")).toBool(false);
    ctx.auth->audit(who, request, QStringLiteral("backup.create"),
                    withModels ? QStringLiteral("with models") : QString());
    const ServerConfig config = *ctx.config;
    offThread(
        socket, std::move(responder),
        [config, passphrase, withModels]() {
            return backup::makeServerBackup(config, passphrase, withModels, QCoreApplication::applicationVersion());
        },
        [](QHttpServerResponder &r, const Result<backup::BackupSummary> &made) {
            if (!made) {
                const ErrorCode code = made.failure().code;
                const int status = code == ErrorCode::Unavailable       ? 409
                                   : code == ErrorCode::InvalidArgument ? 422
                                                                        : 500;
                return writeError(r, {status,
                                      code == ErrorCode::Unavailable ? QStringLiteral("backup_running")
                                                                     : QStringLiteral("backup_failed"),
                                      QString::fromStdString(made.error())});
            }
            qInfo("backup written: %s (%lld bytes)", qPrintable(made->path), made->bytes);
            writeJson(r, 201, summaryJson(made.value()));
        });
}

void handleList(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    if (!admitAdmin(ctx, request, responder, who))
        return;
    QJsonArray list;
    for (const auto &s : backup::listBackups(ctx.config->backupDir))
        list.append(summaryJson(s));
    writeJson(responder, 200, {{QStringLiteral("backups"), list}});
}

void handleVerify(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &&responder,
                  QTcpSocket *socket)
{
    Principal who;
    QJsonObject body;
    if (!admitAdmin(ctx, request, responder, who, &body))
        return;
    const QString name = body.value(QStringLiteral("name")).toString();
    // A plain file name in [backup] dir: no paths from the network.
    if (name.isEmpty() || name.contains(QLatin1Char('/')) || name.startsWith(QLatin1Char('.')))
        return writeError(responder, badRequest(QStringLiteral("field 'name' must be the file name of a backup"),
                                                QStringLiteral("invalid_request"), QStringLiteral("name")));
    const QString path = QDir(ctx.config->backupDir).filePath(name);
    if (!QFileInfo(path).isFile())
        return writeError(responder, {404, QStringLiteral("not_found"), QStringLiteral("no backup named ") + name});
    QByteArray passphrase;
    if (auto e = passphraseOf(body, passphrase))
        return writeError(responder, *e);
    if (passphrase.isEmpty() && !ctx.config->backupPassphraseFile.isEmpty()) {
        auto read = backup::readPassphraseFile(ctx.config->backupPassphraseFile);
        if (!read)
            return writeError(responder, {500, QStringLiteral("backup_failed"), QString::fromStdString(read.error())});
        passphrase = read.value();
    }
    ctx.auth->audit(who, request, QStringLiteral("backup.verify"), name);
    offThread(
        socket, std::move(responder), [path, passphrase]() { return backup::verifyBackup(path, passphrase); },
        [](QHttpServerResponder &r, const Result<backup::VerifyReport> &report) {
            if (!report)
                return writeError(r, {422, QStringLiteral("backup_damaged"), QString::fromStdString(report.error())});
            QJsonObject o = summaryJson(report->summary);
            o.insert(QStringLiteral("ok"), true);
            o.insert(QStringLiteral("secrets_checked"), report->secretsChecked);
            writeJson(r, 200, o);
        });
}
} // namespace

void installBackupRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(Method::Post, QStringLiteral("/admin/backups"),
                 [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *socket) {
                     handleCreate(ctx, req, std::move(r), socket);
                 });
    server.route(
        Method::Get, QStringLiteral("/admin/backups"),
        [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *) { handleList(ctx, req, r); });
    server.route(Method::Post, QStringLiteral("/admin/backups/verify"),
                 [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *socket) {
                     handleVerify(ctx, req, std::move(r), socket);
                 });
}

} // namespace smartbot::http
