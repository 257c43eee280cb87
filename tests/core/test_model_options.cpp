// ModelOptions (core/model_options.h): [model]'s options and [model.NAME] sections over them, read from a real
// server.conf text: what a section sets wins, the rest is inherited; a path is resolved against the config folder;
// every bad section is refused with a message naming it and the key.
#include <QtTest>

#include "core/config_file.h"
#include "core/model_options.h"

using namespace smartbot;

class TestModelOptions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sections_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("threads");
        QTest::addColumn<int>("keepAlive");
        QTest::addColumn<QString>("quantize");
        QTest::addColumn<bool>("prefixCache");
        QTest::newRow("inherits everything") << "[model]\nthreads = 3\n[model.a]\npath = m/a\n"
                                             << "a"
                                             << "/etc/sb/m/a" << 3 << 300 << "none" << true;
        QTest::newRow("overrides some") << "[model]\nthreads = 3\nkeep_alive = 60\n[model.b]\nkeep_alive = -1\n"
                                           "quantize = Q4_K_M\nprefix_cache = off\n"
                                        << "b"
                                        << "" << 3 << -1 << "q4_k_m" << false;
        QTest::newRow("absolute path") << "[model.c.d]\npath = /srv/c\nthreads = 8\n"
                                       << "c.d"
                                       << "/srv/c" << 8 << 300 << "none" << true;
    }
    void sections()
    {
        QFETCH(QString, text);
        QFETCH(QString, name);
        QFETCH(QString, path);
        QFETCH(int, threads);
        QFETCH(int, keepAlive);
        QFETCH(QString, quantize);
        QFETCH(bool, prefixCache);
        const ConfigFile file = ConfigFile::fromText(text);
        auto base = readModelOptions(file, QStringLiteral("model"), {});
        QVERIFY(base.ok());
        auto sections = parseModelSections(file, QStringLiteral("/etc/sb"), base.value());
        QVERIFY2(sections.ok(), sections.ok() ? "" : sections.error().c_str());
        QCOMPARE(sections->size(), size_t(1));
        const ModelSection &m = sections->front();
        QCOMPARE(m.name, name);
        QCOMPARE(m.path, path);
        QCOMPARE(m.options.threads, threads);
        QCOMPARE(m.options.keepAliveS, keepAlive);
        QCOMPARE(m.options.quantize, quantize);
        QCOMPARE(m.options.prefixCache, prefixCache);
        QCOMPARE(m.options.dtype, QStringLiteral("auto"));
    }

    void refused_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("message");
        QTest::newRow("[model] bad dtype") << "[model]\ndtype = float8\n"
                                           << "[model] dtype must be auto, float32, bfloat16 or float16 (not 'float8')";
        QTest::newRow("section bad cpu_decode") << "[model.a]\ncpu_decode = fast\n"
                                                << "[model.a] cpu_decode must be fused or libtorch (not 'fast')";
        QTest::newRow("section threads too many") << "[model.a]\nthreads = 5000\n"
                                                  << "[model.a] threads";
        QTest::newRow("section bad bool") << "[model.a]\nprefix_cache = maybe\n"
                                          << "[model.a] prefix_cache";
        QTest::newRow("unknown key") << "[model.a]\nmax_tokens = 9\n"
                                     << "[model.a] max_tokens is not a model setting";
        QTest::newRow("bad name") << "[model.a b]\nthreads = 1\n"
                                  << "a model name is";
    }
    void refused()
    {
        QFETCH(QString, text);
        QFETCH(QString, message);
        const ConfigFile file = ConfigFile::fromText(text);
        auto base = readModelOptions(file, QStringLiteral("model"), {});
        Result<std::vector<ModelSection>> sections = base ? parseModelSections(file, QStringLiteral("/c"), base.value())
                                                          : Result<std::vector<ModelSection>>(base.failure());
        QVERIFY(!sections.ok());
        QVERIFY2(QString::fromStdString(sections.error()).contains(message), sections.error().c_str());
    }
};

QTEST_APPLESS_MAIN(TestModelOptions)
#include "test_model_options.moc"
