// smartbotd key create|list|revoke|rotate|usage and smartbotd audit list: API keys, usage and the audit log of a
// config folder, shared with a running server through smartbot.db.
#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <cstdio>

#include "core/api_keys.h"
#include "core/audit_log.h"
#include "core/usage_store.h"
#include "daemon/cli.h"
#include "daemon/cli_admin_common.h"

namespace smartbot::daemon {

namespace {
QString when(qint64 t)
{
    return t > 0 ? QDateTime::fromSecsSinceEpoch(t, Qt::UTC).toString(Qt::ISODate) : QStringLiteral("-");
}

void printJson(const QJsonValue &v)
{
    const QByteArray out = v.isArray() ? QJsonDocument(v.toArray()).toJson(QJsonDocument::Indented)
                                       : QJsonDocument(v.toObject()).toJson(QJsonDocument::Indented);
    std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
}

void printCreated(const CreatedKey &k, const char *verb)
{
    std::printf("%s\n", k.key.constData()); // the only time the key is shown
    std::fprintf(stderr, "%s API key %lld '%s' (%s, scope %s). Store it now: it is not shown again.\n", verb,
                 (long long)k.info.id, qPrintable(k.info.name), qPrintable(k.info.prefix), qPrintable(k.info.scope));
}

int keyCreate(const QStringList &args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("name"), QStringLiteral("Name of the key."), QStringLiteral("N")});
    p.addOption(
        {QStringLiteral("scope"), QStringLiteral("chat or admin."), QStringLiteral("SCOPE"), QStringLiteral("chat")});
    p.addOption({QStringLiteral("expires-days"), QStringLiteral("Expiry in days (0 = never)."), QStringLiteral("D"),
                 QStringLiteral("0")});
    p.addOption({QStringLiteral("allow"), QStringLiteral("IP allow list (CIDR, comma-separated)."),
                 QStringLiteral("CIDR,...")});
    p.addOption({QStringLiteral("rpm"), QStringLiteral("Requests per minute for this key."), QStringLiteral("N")});
    p.addOption({QStringLiteral("tpm"), QStringLiteral("Tokens per minute for this key."), QStringLiteral("N")});
    auto ctx = openAdminContext(p, args);
    if (!ctx)
        return 1;
    NewKeyOptions o;
    o.name = p.value(QStringLiteral("name"));
    o.scope = p.value(QStringLiteral("scope"));
    bool ok = true;
    o.expiresDays = p.value(QStringLiteral("expires-days")).toInt(&ok);
    if (!ok)
        return fail("--expires-days must be a whole number");
    o.allow = p.value(QStringLiteral("allow"));
    if (p.isSet(QStringLiteral("rpm")) &&
        ((o.requestsPerMinute = p.value(QStringLiteral("rpm")).toInt(&ok)) < 0 || !ok))
        return fail("--rpm must be a whole number >= 0");
    if (p.isSet(QStringLiteral("tpm")) && ((o.tokensPerMinute = p.value(QStringLiteral("tpm")).toInt(&ok)) < 0 || !ok))
        return fail("--tpm must be a whole number >= 0");
    auto created = ApiKeyStore(*ctx->storage).create(o);
    if (!created)
        return fail(created.error());
    AuditLog(*ctx->storage)
        .record(cliActor(), QStringLiteral("local"), QStringLiteral("key.create"),
                QStringLiteral("%1 (%2) scope %3").arg(o.name, created->info.prefix, o.scope));
    printCreated(created.value(), "created");
    return 0;
}

int keyList(const QStringList &args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    auto ctx = openAdminContext(p, args);
    if (!ctx)
        return 1;
    auto keys = ApiKeyStore(*ctx->storage, systemClock(), ctx->config.keyRotationDays).list();
    if (!keys)
        return fail(keys.error());
    if (p.isSet(QStringLiteral("json"))) {
        QJsonArray a;
        for (const auto &k : keys.value())
            a.push_back(ApiKeyStore::toJson(k));
        printJson(a);
        return 0;
    }
    std::printf("%-4s %-20s %-12s %-6s %-20s %-20s %-20s %-20s %s\n", "ID", "NAME", "PREFIX", "SCOPE", "CREATED",
                "LAST USED", "EXPIRES", "REVOKED", "NOTE");
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    for (const auto &k : keys.value()) {
        QString note = k.rotationDue ? QStringLiteral("rotation due") : QString();
        if (k.revokedAt > now)
            note = QStringLiteral("rotated, valid until revoked time");
        if (!k.allow.isEmpty())
            note += (note.isEmpty() ? QString() : QStringLiteral("; ")) + QStringLiteral("allow ") + k.allow;
        std::printf("%-4lld %-20s %-12s %-6s %-20s %-20s %-20s %-20s %s\n", (long long)k.id, qPrintable(k.name),
                    qPrintable(k.prefix), qPrintable(k.scope), qPrintable(when(k.createdAt)),
                    qPrintable(when(k.lastUsedAt)), qPrintable(when(k.expiresAt)), qPrintable(when(k.revokedAt)),
                    qPrintable(note));
    }
    return 0;
}

int keyRevokeOrRotate(const QStringList &args, bool rotate)
{
    QCommandLineParser p;
    p.addPositionalArgument(QStringLiteral("key"), QStringLiteral("Id or prefix of the key."));
    auto ctx = openAdminContext(p, args);
    if (!ctx)
        return 1;
    if (p.positionalArguments().size() != 1)
        return fail(rotate ? "usage: smartbotd key rotate ID|PREFIX --config DIR"
                           : "usage: smartbotd key revoke ID|PREFIX --config DIR");
    const QString ref = p.positionalArguments().first();
    const ApiKeyStore keys(*ctx->storage, systemClock(), ctx->config.keyRotationDays);
    const AuditLog audit(*ctx->storage);
    if (rotate) {
        auto created = keys.rotate(ref, ctx->config.keyRotationGraceHours);
        if (!created)
            return fail(created.error());
        audit.record(cliActor(), QStringLiteral("local"), QStringLiteral("key.rotate"),
                     QStringLiteral("%1 -> %2 (grace %3 h)")
                         .arg(ref, created->info.prefix)
                         .arg(ctx->config.keyRotationGraceHours));
        printCreated(created.value(), "rotated: new");
        std::fprintf(stderr, "the old key stays valid for %d hours\n", ctx->config.keyRotationGraceHours);
        return 0;
    }
    auto k = keys.revoke(ref);
    if (!k)
        return fail(k.error());
    audit.record(cliActor(), QStringLiteral("local"), QStringLiteral("key.revoke"),
                 QStringLiteral("%1 (%2)").arg(k->name, k->prefix));
    std::printf("revoked API key %lld '%s' (%s)\n", (long long)k->id, qPrintable(k->name), qPrintable(k->prefix));
    return 0;
}

int keyUsage(const QStringList &args)
{
    QCommandLineParser p;
    auto ctx = openAdminContext(p, args);
    if (!ctx)
        return 1;
    auto rows = UsageStore(*ctx->storage).list();
    if (!rows)
        return fail(rows.error());
    printJson(UsageStore::toJson(rows.value()));
    return 0;
}
} // namespace

int runKey(const QStringList &args)
{
    const QString sub = args.value(1);
    QStringList rest = args;
    if (rest.size() > 1)
        rest.removeAt(1);
    if (sub == QLatin1String("create"))
        return keyCreate(rest);
    if (sub == QLatin1String("list"))
        return keyList(rest);
    if (sub == QLatin1String("revoke"))
        return keyRevokeOrRotate(rest, false);
    if (sub == QLatin1String("rotate"))
        return keyRevokeOrRotate(rest, true);
    if (sub == QLatin1String("usage"))
        return keyUsage(rest);
    return fail("usage: smartbotd key create|list|revoke|rotate|usage --config DIR ...");
}

int runAudit(const QStringList &args)
{
    if (args.value(1) != QLatin1String("list"))
        return fail("usage: smartbotd audit list --config DIR [--limit N]");
    QStringList rest = args;
    rest.removeAt(1);
    QCommandLineParser p;
    p.addOption(
        {QStringLiteral("limit"), QStringLiteral("Most entries to show."), QStringLiteral("N"), QStringLiteral("100")});
    auto ctx = openAdminContext(p, rest);
    if (!ctx)
        return 1;
    auto entries = AuditLog(*ctx->storage).list(qBound(1, p.value(QStringLiteral("limit")).toInt(), 100000));
    if (!entries)
        return fail(entries.error());
    printJson(AuditLog::toJson(entries.value()));
    return 0;
}

} // namespace smartbot::daemon
