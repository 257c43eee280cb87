// Fuzzes ServerConfig::loadOrCreate (server/core/server_config.h) with the input as server.conf. Each input gets a
// fresh folder (0700, server.conf 0600: the permissions start-up insists on), so QSettings' per-path cache never
// serves an earlier input. Invariants: an accepted configuration has every value inside its documented range.
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <sys/stat.h>

#include "core/server_config.h"
#include "fuzz_check.h"

using smartbot::ServerConfig;

namespace {
QTemporaryDir *gRoot = nullptr;
quint64 gCount = 0;
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    gRoot = new QTemporaryDir(QDir::tempPath() + QStringLiteral("/fuzz_server_conf.XXXXXX"));
    if (!gRoot->isValid()) {
        std::fprintf(stderr, "fuzz_server_conf: no temporary folder\n");
        std::exit(1);
    }
    std::atexit([] { delete gRoot; });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString dir = gRoot->filePath(QString::number(++gCount));
    FUZZ_CHECK(::mkdir(QFile::encodeName(dir).constData(), 0700) == 0, "mkdir " + dir.toStdString());
    {
        QFile f(dir + QStringLiteral("/server.conf"));
        FUZZ_CHECK(f.open(QIODevice::WriteOnly) &&
                       f.write(reinterpret_cast<const char *>(data), qint64(size)) == qint64(size) &&
                       f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner),
                   "cannot write server.conf");
    }
    auto r = ServerConfig::loadOrCreate(dir);
    if (r.ok()) {
        const ServerConfig &c = r.value();
        FUZZ_CHECK(c.port >= 1, "port");
        FUZZ_CHECK(c.maxBodyBytes >= 64 && c.maxBodyBytes <= (qint64(1) << 32), "max_body_bytes");
        FUZZ_CHECK(c.maxHeaderBytes >= 1024 && c.maxHeaderBytes <= 1024 * 1024, "max_header_bytes");
        FUZZ_CHECK(c.requestTimeoutS >= 1 && c.idleTimeoutS >= 1 && c.drainTimeoutS >= 1, "timeouts");
        FUZZ_CHECK(c.maxQueue >= 1 && c.maxSequences >= 1 && c.maxSequences <= 4096, "limits");
        FUZZ_CHECK(c.tokenExpireHours >= 1 && c.tokenExpireHours <= c.maxTokenHours, "token hours");
        FUZZ_CHECK(c.leewaySeconds >= 0 && c.leewaySeconds <= 3600, "leeway_seconds");
        FUZZ_CHECK(c.maxTokens >= 1 && c.maxTokensLimit >= 1, "max_tokens");
        FUZZ_CHECK(c.threads >= 0 && c.kvCacheMb >= 0, "model");
        FUZZ_CHECK(c.cpuDecode == QLatin1String("fused") || c.cpuDecode == QLatin1String("libtorch"), "cpu_decode");
        FUZZ_CHECK(!c.bindAddress.isEmpty(), "bind_address");
        FUZZ_CHECK(!c.configDir.isEmpty(), "config folder");
    } else {
        FUZZ_CHECK(!r.error().empty(), "refused without a message");
    }
    QDir(dir).removeRecursively();
    return 0;
}
