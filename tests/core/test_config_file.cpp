// ConfigFile (core/config_file.h): reads server.conf's forms as QSettings does, and changes one value while
// keeping every comment, blank line and the order of the rest.
#include <QtTest>

#include <sys/stat.h>

#include "core/config_file.h"

using smartbot::ConfigFile;

class TestConfigFile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // The same text read by QSettings and by ConfigFile gives the same value (lists joined with ",").
    void readsAsQSettings_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("section");
        QTest::addColumn<QString>("key");
        QTest::newRow("plain") << QByteArray("[network]\nport = 80\n") << "network"
                               << "port";
        QTest::newRow("no spaces") << QByteArray("[network]\nport=80\n") << "network"
                                   << "port";
        QTest::newRow("inline comment") << QByteArray("[network]\nport = 80 ; the web\n") << "network"
                                        << "port";
        QTest::newRow("quoted") << QByteArray("[m]\npath = \"a ; b\"\n") << "m"
                                << "path";
        QTest::newRow("escaped quote") << QByteArray("[m]\npath = \"a \\\"b\\\" c\"\n") << "m"
                                       << "path";
        QTest::newRow("empty") << QByteArray("[network]\nallow =\n") << "network"
                               << "allow";
        QTest::newRow("last wins") << QByteArray("[n]\nport = 1\nport = 2\n") << "n"
                                   << "port";
        QTest::newRow("other section") << QByteArray("[a]\nport = 1\n[b]\nport = 2\n") << "a"
                                       << "port";
        QTest::newRow("crlf") << QByteArray("[n]\r\nport = 3\r\n") << "n"
                              << "port";
        QTest::newRow("comment line") << QByteArray("[n]\n; port = 9\nport = 4\n") << "n"
                                      << "port";
        QTest::newRow("hash comment") << QByteArray("[n]\n# port = 9\nport = 5\n") << "n"
                                      << "port";
        QTest::newRow("path") << QByteArray("[model]\npath = /srv/models/llama\n") << "model"
                              << "path";
        QTest::newRow("utf8") << QByteArray("[m]\nname = \"智能\"\n") << "m"
                              << "name";
    }
    void readsAsQSettings()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, section);
        QFETCH(QString, key);
        QTemporaryDir tmp;
        const QString path = tmp.filePath("x.conf");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(text);
        f.close();
        const QSettings settings(path, QSettings::IniFormat);
        const QVariant v = settings.value(section + '/' + key);
        const QString expected =
            v.typeId() == QMetaType::QStringList ? v.toStringList().join(QLatin1Char(',')) : v.toString();
        const ConfigFile file = ConfigFile::fromText(QString::fromUtf8(text));
        QCOMPARE(file.value(section, key), expected);
        QCOMPARE(file.contains(section, key), v.isValid());
        QVERIFY(file.problem().isEmpty());
    }

    // setValue changes the value and nothing else (comments, order, other sections stay byte for byte).
    void setValueKeepsTheRest_data()
    {
        QTest::addColumn<QString>("before");
        QTest::addColumn<QString>("section");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("after");
        const QString conf = "; top\n[network]\n; the port\nport = 18789 ; old\n\n[model]\npath =\n";
        QTest::newRow("replace") << conf << "network"
                                 << "port"
                                 << "8080"
                                 << "; top\n[network]\n; the port\nport = 8080\n\n[model]\npath =\n";
        QTest::newRow("new key") << conf << "network"
                                 << "allow"
                                 << "10.0.0.0/8"
                                 << "; top\n[network]\n; the port\nport = 18789 ; old\nallow = 10.0.0.0/8\n\n"
                                    "[model]\npath =\n";
        QTest::newRow("new section") << conf << "limits"
                                     << "max_queue"
                                     << "5" << conf + "\n[limits]\nmax_queue = 5\n";
        QTest::newRow("empty section") << "[a]\n; nothing yet\n[b]\nx = 1\n"
                                       << "a"
                                       << "y"
                                       << "2"
                                       << "[a]\ny = 2\n; nothing yet\n[b]\nx = 1\n";
        QTest::newRow("quoted when needed") << conf << "model"
                                            << "path"
                                            << "a;b"
                                            << "; top\n[network]\n; the port\nport = 18789 ; old\n\n[model]\n"
                                               "path = \"a;b\"\n";
        QTest::newRow("empty value") << conf << "network"
                                     << "port"
                                     << ""
                                     << "; top\n[network]\n; the port\nport = \n\n[model]\npath =\n";
    }
    void setValueKeepsTheRest()
    {
        QFETCH(QString, before);
        QFETCH(QString, section);
        QFETCH(QString, key);
        QFETCH(QString, value);
        QFETCH(QString, after);
        ConfigFile file = ConfigFile::fromText(before);
        file.setValue(section, key, value);
        QCOMPARE(file.text(), after);
        QCOMPARE(file.value(section, key), value);
        QCOMPARE(ConfigFile::fromText(file.text()).value(section, key), value); // reads back as written
    }

    // removeSection drops the section's header and lines; the rest stays byte for byte, and a comment right
    // before the next header stays with that header.
    void removeSectionKeepsTheRest_data()
    {
        QTest::addColumn<QString>("before");
        QTest::addColumn<QString>("section");
        QTest::addColumn<bool>("removed");
        QTest::addColumn<QString>("after");
        QTest::newRow("middle") << "; top\n[a]\nx = 1\n\n[b]\ny = 2\n; b's note\n\n[c]\nz = 3\n"
                                << "b" << true << "; top\n[a]\nx = 1\n\n[c]\nz = 3\n";
        QTest::newRow("comment for the next one") << "[a]\nx = 1\n\n[b]\ny = 2\n\n; the c section\n[c]\nz = 3\n"
                                                  << "b" << true << "[a]\nx = 1\n\n; the c section\n[c]\nz = 3\n";
        QTest::newRow("its own comment goes")
            << "[a]\nx = 1\n\n; the b section\n; two lines\n[b]\ny = 2\n\n[c]\nz = 3\n"
            << "b" << true << "[a]\nx = 1\n\n[c]\nz = 3\n";
        QTest::newRow("last") << "[a]\nx = 1\n\n[provider.up]\nbase_url = http://h/v1\nmodels = m\n"
                              << "provider.up" << true << "[a]\nx = 1\n";
        QTest::newRow("first") << "[a]\nx = 1\n\n[b]\ny = 2\n"
                               << "a" << true << "[b]\ny = 2\n";
        QTest::newRow("twice") << "[a]\nx = 1\n[b]\ny = 2\n[a]\nw = 4\n[c]\nz = 3\n"
                               << "a" << true << "[b]\ny = 2\n[c]\nz = 3\n";
        QTest::newRow("absent") << "[a]\nx = 1\n"
                                << "b" << false << "[a]\nx = 1\n";
        QTest::newRow("keys outside sections stay") << "top = 1\n[a]\nx = 1\n"
                                                    << "" << false << "top = 1\n[a]\nx = 1\n";
    }
    void removeSectionKeepsTheRest()
    {
        QFETCH(QString, before);
        QFETCH(QString, section);
        QFETCH(bool, removed);
        QFETCH(QString, after);
        ConfigFile file = ConfigFile::fromText(before);
        QCOMPARE(file.removeSection(section), removed);
        QCOMPARE(file.text(), after);
        for (const QString &key : file.keys())
            QVERIFY2(!key.startsWith(section + "/") || section.isEmpty(), qPrintable(key));
        // What is left reads as it did, and a value set afterwards lands in its own section.
        file.setValue("c", "added", "1");
        QCOMPARE(ConfigFile::fromText(file.text()).value("c", "added"), QString("1"));
        QVERIFY(file.problem().isEmpty());
    }

    void malformedLineIsNamed_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("problem");
        QTest::newRow("no equals") << "[n]\nport 80\n"
                                   << "line 2: 'port 80'";
        QTest::newRow("no key") << "[n]\n= 80\n"
                                << "line 2: '= 80'";
        QTest::newRow("fine") << "[n]\nport = 80\n; note\n\n"
                              << "";
    }
    void malformedLineIsNamed()
    {
        QFETCH(QString, text);
        QFETCH(QString, problem);
        QCOMPARE(ConfigFile::fromText(text).problem(), problem);
    }

    void writeIsPrivateAndAtomic()
    {
        QTemporaryDir tmp;
        const QString path = tmp.filePath("server.conf");
        ConfigFile file = ConfigFile::fromText("[network]\nport = 1\n");
        file.setValue("network", "port", "2");
        QVERIFY(file.write(path).ok());
        struct stat st {};
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 0777), 0600);
        auto back = ConfigFile::read(path);
        QVERIFY(back.ok());
        QCOMPARE(back->value("network", "port"), QStringLiteral("2"));
        QVERIFY(!ConfigFile::read(tmp.filePath("missing.conf")).ok());
        QVERIFY(!file.write(tmp.filePath("no/such/folder/server.conf")).ok());
    }
};

QTEST_GUILESS_MAIN(TestConfigFile)
#include "test_config_file.moc"
