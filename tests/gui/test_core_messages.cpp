// localizedMessage (app/core_messages.h): the server's and core's English messages shown in the app's language.
// Each row is a real message as the layer below builds it; in 简体中文 it reads in Chinese with the varying parts
// kept; in English it stays as it was; an unknown message is shown unchanged; a value holding "%2" is not replaced.
#include <QtTest>

#include "app/core_messages.h"
#include "app/i18n.h"
#include "core/config_file.h"
#include "core/server_config.h"

using smartbot::gui::localizedMessage;

class TestCoreMessages : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cleanup() { smartbot::gui::installTranslations(QStringLiteral("en")); }

    void chinese_data()
    {
        QTest::addColumn<QString>("english");
        QTest::addColumn<QString>("chinese");
        QTest::newRow("range") << "server.conf: [network] port = '70000' must be a whole number from 1 to 65535"
                               << "server.conf：[network] port = '70000' 必须是 1 到 65535 之间的整数";
        QTest::newRow("bool") << "server.conf: [model] prefix_cache = 'maybe' must be true or false"
                              << "server.conf：[model] prefix_cache = 'maybe' 必须是 true 或 false";
        QTest::newRow("bind") << "server.conf: [network] bind_address = 'my-host' is not an IP address"
                              << "server.conf：[network] bind_address = 'my-host' 不是 IP 地址";
        QTest::newRow("pem") << "ssl_cert /etc/a.pem holds no PEM certificate"
                             << "ssl_cert /etc/a.pem 中没有 PEM 证书";
        QTest::newRow("mismatch") << "ssl_key /k.pem does not match the certificate in ssl_cert /c.pem"
                                  << "ssl_key /k.pem 与 ssl_cert /c.pem 中的证书不匹配";
        QTest::newRow("passphrase") << "wrong passphrase"
                                    << "口令错误";
        QTest::newRow("percent in a value") << "ssl_cert /tmp/%2.pem holds no PEM certificate"
                                            << "ssl_cert /tmp/%2.pem 中没有 PEM 证书";
        QTest::newRow("unknown") << "something the table does not know"
                                 << "something the table does not know";
    }
    void chinese()
    {
        QFETCH(QString, english);
        QFETCH(QString, chinese);
        QVERIFY(smartbot::gui::installTranslations(QStringLiteral("zh_CN")));
        QCOMPARE(localizedMessage(english), chinese);
        smartbot::gui::installTranslations(QStringLiteral("en"));
        QCOMPARE(localizedMessage(english), english);
    }

    // The patterns follow the messages as the start-up check really words them (a reworded message would silently
    // stop being translated).
    void patternsMatchRealMessages_data()
    {
        QTest::addColumn<QString>("conf");
        QTest::newRow("range") << "[network]\nport = 70000\n";
        QTest::newRow("bool") << "[model]\nprefix_cache = maybe\n";
        QTest::newRow("bind") << "[network]\nbind_address = nope\n";
        QTest::newRow("cors") << "[network]\ncors_origins = not an origin\n";
        QTest::newRow("line") << "[network]\nport 80\n";
        QTest::newRow("ssl") << "[network]\nssl_enable = true\n";
        QTest::newRow("choice") << "[model]\ndtype = int4\n";
    }
    void patternsMatchRealMessages()
    {
        QFETCH(QString, conf);
        auto parsed = smartbot::ServerConfig::parse(smartbot::ConfigFile::fromText(conf), QStringLiteral("/tmp"));
        QVERIFY(!parsed.ok());
        QVERIFY(smartbot::gui::installTranslations(QStringLiteral("zh_CN")));
        const QString shown = localizedMessage(parsed.error());
        QVERIFY2(shown != QString::fromStdString(parsed.error()), parsed.error().c_str());
    }
};

QTEST_MAIN(TestCoreMessages)
#include "test_core_messages.moc"
