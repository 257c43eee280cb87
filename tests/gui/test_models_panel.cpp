// ModelsPanel, offscreen, against the real in-process server: the [model] folders of server.conf are scanned
// (stories260K found with its architecture, size and context; a broken folder listed with the engine's reason);
// Load shows progress and ends ready, after which chat answers; Unload makes chat answer 503; "Load at start"
// writes [model] path and dtype to server.conf, and a restarted server loads that model; "Models in memory" lists
// every model held, loads a folder's model beside the default one and unloads it again.
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QtTest>

#include "app/models_panel.h"
#include "core/demo_model.h"
#include "core/server_config.h"
#include "gui_testing.h"

using smartbot::gui::ModelsPanel;
using namespace smartbot::testsupport;
using ModelState = smartbot::service::InferenceWorker::ModelState;

namespace {
// A chat credential: a token issued with the admin key over HTTP.
QByteArray tokenFor(quint16 port, const QTemporaryDir &config)
{
    const HttpReply r = postJson(port, QStringLiteral("/admin/token"), R"({"username":"models-test"})", "X-API-Key",
                                 adminKeyOf(config));
    const QJsonObject o = QJsonDocument::fromJson(r.body).object();
    return o.value(QStringLiteral("token")).toString().toLatin1();
}

// POST /v1/chat/completions naming model: the status.
int chatNaming(quint16 port, const QByteArray &token, const char *model)
{
    const QByteArray body =
        R"({"model":")" + QByteArray(model) + R"(","messages":[{"role":"user","content":"Once"}],"max_tokens":4})";
    return postJson(port, QStringLiteral("/v1/chat/completions"), body, "Authorization", "Bearer " + token).status;
}
} // namespace

class TestModelsPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFile::exists(kStoriesModel + "/config.json"), "../shared is missing"); }

    void scanLoadUnloadAndStartWith()
    {
        QTemporaryDir config;
        QVERIFY(QDir(config.path()).mkpath(QStringLiteral("models/broken")));
        QVERIFY(QFile::link(kStoriesModel, config.filePath(QStringLiteral("models/stories"))));
        {
            QFile bad(config.filePath(QStringLiteral("models/broken/config.json")));
            QVERIFY(bad.open(QIODevice::WriteOnly));
            bad.write("{\"hidden_size\": 8}");
        }
        smartbot::http::SmartbotServer server;
        ModelsPanel panel(&server, QString());
        panel.show();
        QSignalSpy scanned(&panel, &ModelsPanel::scanned);
        panel.setConfigDir(config.path());
        QVERIFY(scanned.wait(10000));

        auto *table = child<QTableWidget>(&panel, "modelsTable");
        const int row = panel.rowOf(QStringLiteral("stories"));
        QVERIFY(row >= 0);
        QCOMPARE(table->item(row, 2)->text(), QStringLiteral("LlamaForCausalLM"));
        QVERIFY2(table->item(row, 3)->text().endsWith('K'), qPrintable(table->item(row, 3)->text())); // ~260K
        QCOMPARE(table->item(row, 4)->text(), QStringLiteral("float32"));
        QVERIFY(!table->item(row, 6)->text().isEmpty()); // size on disk
        const int broken = panel.rowOf(QStringLiteral("broken"));
        QVERIFY(broken >= 0);
        QVERIFY2(table->item(broken, 2)->text().contains(QStringLiteral("cannot be loaded")),
                 qPrintable(table->item(broken, 2)->text()));

        // The server runs with no model; the panel loads one into it.
        smartbot::http::ServerOverrides o;
        o.modelPath = QLatin1String(smartbot::kNoModel);
        o.port = 0;
        o.bindAddress = QStringLiteral("127.0.0.1");
        QVERIFY(server.start(config.path(), o).ok());
        const QByteArray token = tokenFor(server.port(), config);
        QVERIFY(!token.isEmpty());
        QCOMPARE(chatWith(server.port(), token), 503);

        auto *load = child<QPushButton>(&panel, "loadModelButton");
        table->selectRow(row);
        QVERIFY(load->isEnabled());
        auto *progress = child<QProgressBar>(&panel, "modelLoadProgress");
        load->click();
        QVERIFY(progress->isVisibleTo(&panel)); // shown while loading
        QTRY_VERIFY_WITH_TIMEOUT(server.modelState() == ModelState::Ready, 60000);
        QTRY_VERIFY(!progress->isVisibleTo(&panel));
        QCOMPARE(progress->value(), 100);
        QVERIFY2(child<QLabel>(&panel, "modelStateLabel")->text().contains(QStringLiteral("ready")),
                 qPrintable(child<QLabel>(&panel, "modelStateLabel")->text()));
        QVERIFY(child<QLabel>(&panel, "modelRuntimeLabel")->text().contains(QStringLiteral("cpu")));
        QVERIFY(child<QLabel>(&panel, "modelMemoryLabel")->text().contains(QStringLiteral("resident")));
        QTRY_VERIFY(table->item(panel.rowOf(QStringLiteral("stories")), 1)->text().contains(QStringLiteral("loaded")));
        QCOMPARE(chatWith(server.port(), token), 200);

        child<QPushButton>(&panel, "unloadModelButton")->click();
        QTRY_VERIFY(server.modelState() == ModelState::None);
        QCOMPARE(chatWith(server.port(), token), 503);

        // Load at start: server.conf names the model; a restarted server loads it without being told.
        table->selectRow(panel.rowOf(QStringLiteral("stories")));
        child<QComboBox>(&panel, "modelDtypeCombo")->setCurrentText(QStringLiteral("float32"));
        QVERIFY(panel.useSelectedAtStart());
        auto conf = smartbot::ServerConfig::loadOrCreate(config.path());
        QVERIFY(conf.ok());
        QCOMPARE(conf->modelPath, config.filePath(QStringLiteral("models/stories")));
        QCOMPARE(conf->dtype, QStringLiteral("float32"));
        QVERIFY(child<QLabel>(&panel, "modelAtStartLabel")->text().contains(QStringLiteral("models/stories")));
        server.stop();
        o.modelPath.clear();
        QVERIFY(server.start(config.path(), o).ok());
        QTRY_VERIFY_WITH_TIMEOUT(server.modelState() == ModelState::Ready, 60000);
        QCOMPARE(server.modelInfo().name, std::string("stories"));
        server.stop();
    }

    // "Models in memory": a folder's model loaded beside the default one is listed with it and answers requests
    // naming it; unloaded from the list, it goes and the default model stays.
    void loadBesideAndUnloadHeld()
    {
        QTemporaryDir config;
        QVERIFY(QDir(config.path()).mkpath(QStringLiteral("models")));
        QVERIFY(QFile::link(kStoriesModel, config.filePath(QStringLiteral("models/tales"))));
        // fables: a copy (a link would be the same files, listed once).
        QVERIFY(QDir(config.path()).mkpath(QStringLiteral("models/fables")));
        for (const QString &f : QDir(kStoriesModel).entryList(QDir::Files))
            QVERIFY(QFile::copy(kStoriesModel + "/" + f, config.filePath(QStringLiteral("models/fables/") + f)));
        smartbot::http::SmartbotServer server;
        ModelsPanel panel(&server, QString());
        panel.show();
        QSignalSpy scanned(&panel, &ModelsPanel::scanned);
        panel.setConfigDir(config.path());
        QVERIFY(scanned.wait(10000));
        smartbot::http::ServerOverrides o;
        o.modelPath = config.filePath(QStringLiteral("models/tales"));
        o.port = 0;
        o.bindAddress = QStringLiteral("127.0.0.1");
        QVERIFY(server.start(config.path(), o).ok());
        QTRY_VERIFY_WITH_TIMEOUT(server.modelState() == ModelState::Ready, 60000);
        const QByteArray token = tokenFor(server.port(), config);
        auto chat = [&](const char *model) { return chatNaming(server.port(), token, model); };
        auto *held = child<QTableWidget>(&panel, "heldModelsTable");
        QTRY_COMPARE(held->rowCount(), 1);
        QVERIFY(held->item(0, 1)->text().contains(QStringLiteral("default")));

        // The model being served, chosen in the list: "beside" would replace it under its own name; refused.
        child<QTableWidget>(&panel, "modelsTable")->selectRow(panel.rowOf(QStringLiteral("tales")));
        QSignalSpy status(&panel, &ModelsPanel::statusMessage);
        QVERIFY(!panel.loadSelectedBeside());
        QVERIFY(status.last().first().toString().contains(QStringLiteral("Load now")));
        QCOMPARE(held->rowCount(), 1);

        child<QTableWidget>(&panel, "modelsTable")->selectRow(panel.rowOf(QStringLiteral("fables")));
        auto *beside = child<QPushButton>(&panel, "loadBesideButton");
        QVERIFY(beside->isEnabled());
        beside->click();
        QTRY_VERIFY_WITH_TIMEOUT(panel.heldRowOf(QStringLiteral("fables")) >= 0 &&
                                     held->item(panel.heldRowOf(QStringLiteral("fables")), 1)->text() ==
                                         QStringLiteral("ready"),
                                 60000);
        QCOMPARE(held->rowCount(), 2);
        QCOMPARE(held->item(panel.heldRowOf(QStringLiteral("fables")), 4)->text(), QStringLiteral("until unloaded"));
        QCOMPARE(chat("fables"), 200);
        QCOMPARE(server.modelInfo().name, std::string("tales")); // the default is as it was

        auto *unload = child<QPushButton>(&panel, "unloadHeldButton");
        held->selectRow(panel.heldRowOf(QStringLiteral("fables")));
        QVERIFY(unload->isEnabled());
        unload->click();
        QTRY_COMPARE(held->rowCount(), 1);
        QCOMPARE(panel.heldRowOf(QStringLiteral("fables")), -1);
        QVERIFY(server.modelState() == ModelState::Ready);
        QCOMPARE(chat("tales"), 200);
        server.stop();
        QTRY_COMPARE(held->rowCount(), 0);
    }
};

QTEST_MAIN(TestModelsPanel)
#include "test_models_panel.moc"
