// smartbotd generate / tokenize against the reference files, and CLI errors.
#include <QtTest>

#include "require_data.h"

#include <nlohmann/json.hpp>
#include <fstream>

#include "daemon_process.h"

using json = nlohmann::json;

class TestCli : public QObject {
    Q_OBJECT

    static QProcess *run(const QStringList &args, const QByteArray &stdinData = {})
    {
        auto *p = new QProcess;
        p->start(smartbotdPath(), args);
        p->waitForStarted(10000);
        if (!stdinData.isEmpty())
            p->write(stdinData);
        p->closeWriteChannel();
        p->waitForFinished(60000);
        return p;
    }

private Q_SLOTS:
    void initTestCase() { REQUIRE_DATA(sharedModelDir() + "/config.json"); }

    void generateMatchesReference()
    {
        std::ifstream in((sharedModelDir() + "/reference_greedy.json").toStdString());
        const json ref = json::parse(in);
        for (const auto &c : ref["cases"]) {
            const auto promptIds = c["prompt_ids"].get<std::vector<int>>();
            const int maxTokens = c["max_positions"].get<int>() - int(promptIds.size()) + 1;
            std::unique_ptr<QProcess> p(run({"generate", "--model", sharedModelDir(), "--prompt",
                                             QString::fromStdString(c["prompt"].get<std::string>()), "--max-tokens",
                                             QString::number(maxTokens), "--ids"}));
            QCOMPARE(p->exitCode(), 0);
            const json out = json::parse(p->readAllStandardOutput().toStdString());
            QCOMPARE(out["prompt_ids"].get<std::vector<int>>(), promptIds);
            QCOMPARE(out["ids"].get<std::vector<int>>(), c["greedy_ids"].get<std::vector<int>>());
            const QByteArray err = p->readAllStandardError().trimmed();
            const QByteArray last = err.mid(err.lastIndexOf('\n') + 1);
            QVERIFY2(last.contains("tokens/s"), last.constData());
        }
    }

    void generateText()
    {
        std::unique_ptr<QProcess> p(
            run({"generate", "--model", sharedModelDir(), "--prompt", "Once upon a time", "--max-tokens", "8"}));
        QCOMPARE(p->exitCode(), 0);
        QCOMPARE(p->readAllStandardOutput().trimmed(), QByteArray(", there was a little girl"));
        // Sampling with a seed is reproducible.
        const QStringList s{"generate",      "--model", sharedModelDir(), "--prompt", "Once", "--max-tokens", "30",
                            "--temperature", "1.0",     "--seed",         "42"};
        std::unique_ptr<QProcess> a(run(s)), b(run(s));
        QCOMPARE(a->readAllStandardOutput(), b->readAllStandardOutput());
    }

    // Issue 16, item 9: no Qt 5 in the process. Debian's libtorch_cpu lists OpenCV's highgui (which loads Qt 5) without
    // using it; an empty stand-in takes its place. Run with every symbol bound at load (LD_BIND_NOW): a libtorch that
    // did use highgui would fail here with "undefined symbol" instead of passing.
    void noQt5InProcess()
    {
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("LD_BIND_NOW", "1");
        env.insert("LD_DEBUG", "libs");
        p.setProcessEnvironment(env);
        p.start(smartbotdPath(), {"generate", "--model", sharedModelDir(), "--prompt", "Once", "--max-tokens", "4"});
        QVERIFY(p.waitForFinished(60000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitCode(), 0);
        QVERIFY2(err.contains("libtorch_cpu.so"), "LD_DEBUG output is missing: the check would prove nothing");
        QVERIFY2(!err.contains("libQt5"), "Qt 5 was loaded into smartbotd");
        QVERIFY2(!err.contains("x86_64-linux-gnu/libopencv_highgui"), "the real OpenCV highgui was loaded");
        QVERIFY2(err.contains("lib/smartbot/libopencv_highgui"), "the stand-in was not loaded");
    }

    // A config.json field of the wrong type is a one-line error, not a crash (found by fuzz_model_config).
    void wrongTypeInModelConfig()
    {
        QTemporaryDir dir;
        for (const QString &f : QDir(sharedModelDir()).entryList(QDir::Files))
            QFile::copy(sharedModelDir() + "/" + f, dir.filePath(f));
        QFile config(dir.filePath("config.json"));
        QVERIFY(config.open(QIODevice::ReadOnly));
        QJsonObject o = QJsonDocument::fromJson(config.readAll()).object();
        config.close();
        o.insert("use_sliding_window", "yes");
        o.insert("sliding_window", 5);
        QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
        config.write(QJsonDocument(o).toJson());
        config.close();
        std::unique_ptr<QProcess> p(run({"generate", "--model", dir.path(), "--prompt", "x"}));
        QCOMPARE(p->exitStatus(), QProcess::NormalExit);
        QCOMPARE(p->exitCode(), 1);
        const QByteArray err = p->readAllStandardError();
        QVERIFY2(err.contains("wrong type"), err.constData());
    }

    // Issue 16, item 8: the benchmark model writer answers --help instead of making a folder named "--help".
    void makeRandomModelHelp()
    {
        QTemporaryDir dir;
        for (const QStringList &args : {QStringList{"--help"}, QStringList{"-x"}}) {
            QProcess p;
            p.setWorkingDirectory(dir.path());
            p.start(QStringLiteral(MAKE_RANDOM_MODEL_PATH), args);
            QVERIFY(p.waitForFinished(20000));
            QCOMPARE(p.exitCode(), args.first() == "--help" ? 0 : 2);
            QVERIFY((p.readAllStandardOutput() + p.readAllStandardError()).contains("usage:"));
            QVERIFY2(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot).isEmpty(),
                     "a file or folder was created");
        }
    }

    void tokenize()
    {
        std::unique_ptr<QProcess> p(
            run({"tokenize", "--model", sharedModelDir()}, "Once upon a time\nTom and his dog\n\n"));
        QCOMPARE(p->exitCode(), 0);
        const QList<QByteArray> lines = p->readAllStandardOutput().trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QCOMPARE(json::parse(lines[0].toStdString()).get<std::vector<int>>(),
                 (std::vector<int>{1, 403, 407, 261, 378}));
        QCOMPARE(json::parse(lines[1].toStdString()).get<std::vector<int>>(),
                 (std::vector<int>{1, 274, 287, 269, 345, 400, 428}));
        QCOMPARE(json::parse(lines[2].toStdString()).get<std::vector<int>>(), (std::vector<int>{1}));
    }

    void errors()
    {
        std::unique_ptr<QProcess> a(run({"generate", "--model", "/nonexistent", "--prompt", "x"}));
        QVERIFY(a->exitCode() != 0);
        QVERIFY(a->readAllStandardError().contains("/nonexistent"));
        std::unique_ptr<QProcess> b(run({"generate", "--model", sharedModelDir()}));
        QVERIFY(b->exitCode() != 0);
        QVERIFY(b->readAllStandardError().contains("--prompt"));
        std::unique_ptr<QProcess> c(run({"frobnicate"}));
        QCOMPARE(c->exitCode(), 2);
        std::unique_ptr<QProcess> d(run({"serve"}));
        QCOMPARE(d->exitCode(), 2);
        QVERIFY(d->readAllStandardError().contains("--config"));
        std::unique_ptr<QProcess> e(
            run({"generate", "--model", sharedModelDir(), "--prompt", "x", "--temperature", "hot"}));
        QCOMPARE(e->exitCode(), 2);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
