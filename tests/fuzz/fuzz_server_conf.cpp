// Fuzzes server.conf reading: ConfigFile (server/core/config_file.h) over the input as text, then
// ServerConfig::parse. Invariants: an accepted configuration has every value inside its documented range; any
// file reads back its own text; a value set reads back as set and leaves the file parseable the same way.
#include "core/config_file.h"
#include "core/server_config.h"
#include "fuzz_check.h"

using smartbot::ConfigFile;
using smartbot::ServerConfig;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    ConfigFile file = ConfigFile::fromText(text);
    FUZZ_CHECK(ConfigFile::fromText(file.text()).text() == file.text(), "text does not read back");
    auto r = ServerConfig::parse(file, QStringLiteral("/etc/smartbot"));
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
    const QString value = text.left(16).simplified();
    file.setValue(QStringLiteral("network"), QStringLiteral("allow"), value);
    FUZZ_CHECK(file.value(QStringLiteral("network"), QStringLiteral("allow")) == value, "set value reads back");
    FUZZ_CHECK(ConfigFile::fromText(file.text()).value(QStringLiteral("network"), QStringLiteral("allow")) == value,
               "written value reads back");
    return 0;
}
