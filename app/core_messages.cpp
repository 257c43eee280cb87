#include "app/core_messages.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace smartbot::gui {

namespace {
// pattern (whole message) -> template; %1, %2, ... are the pattern's captures, in order.
struct Known {
    const char *pattern;
    const char *translatable;
};
const Known kKnown[] = {
    {R"(server\.conf: \[(\w+)\] (\w+) = '(.*)' must be a whole number from (-?\d+) to (-?\d+))",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages",
                       "server.conf: [%1] %2 = '%3' must be a whole number from %4 to %5")},
    {R"(server\.conf: \[(\w+)\] (\w+) = '(.*)' must be true or false)",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "server.conf: [%1] %2 = '%3' must be true or false")},
    {R"(server\.conf: \[network\] bind_address = '(.*)' is not an IP address)",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages",
                       "server.conf: [network] bind_address = '%1' is not an IP address")},
    {R"(server\.conf: \[network\] cors_origins: '(.*)' is not an origin \(scheme://host\[:port\] or \*\))",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages",
                       "server.conf: [network] cors_origins: '%1' is not an origin (scheme://host[:port] or *)")},
    {R"(server\.conf: \[network\] (allow|trusted_proxies): (.*))",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "server.conf: [network] %1: %2")},
    {R"(server\.conf: line (\d+): '(.*)' is not a setting \(key = value\), a \[section\] or a comment \(; \.\.\.\))",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages",
                       "server.conf: line %1: '%2' is not a setting (key = value), a [section] or a comment (; ...)")},
    {R"(server\.conf: \[network\] ssl_enable = true needs both ssl_cert and ssl_key)",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages",
                       "server.conf: [network] ssl_enable = true needs both ssl_cert and ssl_key")},
    {R"(server\.conf: \[(\w+)\] (\w+) must be (.*) \(not '(.*)'\))",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "server.conf: [%1] %2 must be %3 (not '%4')")},
    {R"(ssl_cert (.*) holds no PEM certificate)",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "ssl_cert %1 holds no PEM certificate")},
    {R"(ssl_key (.*) does not match the certificate in ssl_cert (.*))",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "ssl_key %1 does not match the certificate in ssl_cert %2")},
    {R"(ssl_cert (.*) expired on (.*))", QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "ssl_cert %1 expired on %2")},
    {R"(ssl_cert (.*) is not valid until (.*))",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "ssl_cert %1 is not valid until %2")},
    {R"((ssl_cert|ssl_key) (.*) cannot be read: (.*))",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "%1 %2 cannot be read: %3")},
    {R"(ssl_key (.*) is not a PEM RSA or EC private key \(passphrase-protected keys are not supported\))",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages",
                       "ssl_key %1 is not a PEM RSA or EC private key (passphrase-protected keys are not supported)")},
    {R"('(.*)' is neither a host name nor an IP address)",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "'%1' is neither a host name nor an IP address")},
    {R"(name at least one host name or IP address for the certificate)",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "name at least one host name or IP address for the certificate")},
    {R"(wrong passphrase)", QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "wrong passphrase")},
    {R"(the manifest was altered \(its HMAC does not match\))",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "the manifest was altered (its HMAC does not match)")},
    {R"((.*) is not a SmartBot backup \((.*)\))",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "%1 is not a SmartBot backup (%2)")},
    {R"(this backup's secrets are sealed with a passphrase: give it to restore)",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages",
                       "this backup's secrets are sealed with a passphrase: give it to restore")},
    {R"((.*) is not empty; restore into a new folder, or force \(the folder is then moved aside first\))",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages",
                       "%1 is not empty; restore into a new folder, or force (the folder is then moved aside first)")},
    {R"(the config folder holds secrets \((.*)\): give a passphrase to seal them into the backup, or leave them out explicitly)",
     QT_TRANSLATE_NOOP(
         "smartbot::gui::CoreMessages",
         "the config folder holds secrets (%1): give a passphrase to seal them into the backup, or leave them out "
         "explicitly")},
    {R"(a backup is running)", QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "a backup is running")},
    {R"(cannot listen on (.*): (.*))", QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "cannot listen on %1: %2")},
    {R"(the server is not running)", QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "the server is not running")},
    {R"(model folder (.*) does not exist or is not a folder)",
     QT_TRANSLATE_NOOP("smartbot::gui::CoreMessages", "model folder %1 does not exist or is not a folder")},
};
} // namespace

QString localizedMessage(const QString &english)
{
    for (const Known &k : kKnown) {
        // Anchored: the whole message must match, so a longer one is never half translated.
        const QRegularExpression re(QStringLiteral("\\A(?:%1)\\z").arg(QLatin1String(k.pattern)));
        const QRegularExpressionMatch m = re.match(english);
        if (!m.hasMatch())
            continue;
        // %1..%9 replaced in one pass, so that a value holding "%2" (a file name) is not replaced again.
        const QString tmpl = QCoreApplication::translate("smartbot::gui::CoreMessages", k.translatable);
        QString out;
        for (qsizetype i = 0; i < tmpl.size(); ++i) {
            const int n = i + 1 < tmpl.size() && tmpl[i] == QLatin1Char('%') ? tmpl[i + 1].digitValue() : -1;
            if (n >= 1 && n <= m.lastCapturedIndex()) {
                out += m.captured(n);
                ++i;
            } else {
                out += tmpl[i];
            }
        }
        return out;
    }
    return english;
}

} // namespace smartbot::gui
