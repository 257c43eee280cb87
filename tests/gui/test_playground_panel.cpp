// PlaygroundPanel, offscreen, against the real in-process server with stories260K: a message sent from the panel is
// streamed back over HTTP piece by piece (/v1/chat/completions, SSE) with the panel's own token, recorded in the
// token ledger and usage; Stop ends a long reply; the curl command shown is the same request; without a ready model
// the panel says so and cannot send.
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

#include "app/playground_panel.h"
#include "core/log_buffer.h"
#include "core/token_ledger.h"
#include "core/usage_store.h"
#include "http/auth/authenticator.h"
#include "http/server/smartbot_server.h"
#include "gui_testing.h"
#include "require_data.h"
#include "screenshot.h"

using smartbot::gui::PlaygroundPanel;
using smartbot::http::SmartbotServer;
using ModelState = smartbot::service::InferenceWorker::ModelState;
using namespace smartbot::testsupport;

class TestPlaygroundPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { smartbot::LogBuffer::instance().install(true); }

    void notReadyCannotSend()
    {
        SmartbotServer server;
        PlaygroundPanel panel(&server);
        child<QPlainTextEdit>(&panel, "playgroundMessage")->setPlainText(QStringLiteral("hi"));
        QVERIFY(!child<QPushButton>(&panel, "playgroundSend")->isEnabled());
        QVERIFY(child<QLabel>(&panel, "playgroundNotice")->isVisibleTo(&panel));
    }

    void streamsStopsAndAccounts()
    {
        REQUIRE_DATA(kStoriesModel + "/config.json");
        QTemporaryDir config;
        SmartbotServer server;
        PlaygroundPanel panel(&server);
        panel.show();
        QVERIFY(startWithModel(server, config));

        auto *message = child<QPlainTextEdit>(&panel, "playgroundMessage");
        auto *send = child<QPushButton>(&panel, "playgroundSend");
        auto *reply = child<QPlainTextEdit>(&panel, "playgroundReply");
        QVERIFY(!send->isEnabled()); // nothing written yet
        message->setPlainText(QStringLiteral("Once upon a time"));
        QTRY_VERIFY(send->isEnabled());
        QCOMPARE(child<QLabel>(&panel, "playgroundModel")->text(), QStringLiteral("stories260K"));
        const QString curl = child<QPlainTextEdit>(&panel, "playgroundCurl")->toPlainText();
        QVERIFY2(curl.contains(server.url().toString() + QStringLiteral("/v1/chat/completions")), qPrintable(curl));
        QVERIFY(curl.contains(QStringLiteral("\"stream\":true")));
        QVERIFY(curl.contains(QStringLiteral("Once upon a time")));
        // The curl command follows the settings, and quotes a ' for the shell.
        child<QSpinBox>(&panel, "playgroundMaxTokens")->setValue(33);
        QVERIFY(child<QPlainTextEdit>(&panel, "playgroundCurl")->toPlainText().contains("\"max_tokens\":33"));
        message->setPlainText(QStringLiteral("It's a test"));
        QVERIFY(child<QPlainTextEdit>(&panel, "playgroundCurl")->toPlainText().contains("It'\\''s a test"));
        message->setPlainText(QStringLiteral("Once upon a time"));

        QSignalSpy pieces(&panel, &PlaygroundPanel::pieceReceived);
        QSignalSpy done(&panel, &PlaygroundPanel::finished);
        child<QSpinBox>(&panel, "playgroundMaxTokens")->setValue(40);
        QTest::mouseClick(send, Qt::LeftButton);
        QVERIFY(panel.isBusy());
        QVERIFY(done.wait(30000));
        QCOMPARE(done.first().first().toBool(), true);
        QVERIFY2(pieces.size() > 1, "the reply came in one piece, not streamed");
        QString joined;
        for (const auto &p : pieces)
            joined += p.first().toString();
        QCOMPARE(reply->toPlainText(), joined);
        QVERIFY(!joined.trimmed().isEmpty());
        panel.resize(900, 600);
        smartbot::testsupport::saveScreenshot(&panel, QStringLiteral("playground"));

        // Accounted like any client: usage under the playground's subject, its token in the ledger.
        auto usage = server.authenticator()->usage().list();
        QVERIFY(usage.ok());
        bool found = false;
        for (const auto &u : usage.value())
            found = found || (u.subject == QStringLiteral("user:playground") && u.requests == 1);
        QVERIFY2(found, "no usage row for user:playground");
        auto tokens = server.authenticator()->tokenLedger().listValid();
        QVERIFY(tokens.ok() && tokens->size() == 1 && tokens->first().subject == QStringLiteral("playground"));

        // A second message reuses the token; Stop ends the request at once (the tiny model finishes a whole story in
        // milliseconds, so Stop is pressed before the first piece can arrive).
        done.clear();
        QTest::mouseClick(send, Qt::LeftButton);
        QVERIFY(child<QPushButton>(&panel, "playgroundStop")->isEnabled());
        QTest::mouseClick(child<QPushButton>(&panel, "playgroundStop"), Qt::LeftButton);
        QTRY_COMPARE(done.size(), 1); // abort() finishes at once
        QCOMPARE(done.first().first().toBool(), false);
        QVERIFY(reply->toPlainText().endsWith(QStringLiteral("[stopped]")));
        QCOMPARE(server.authenticator()->tokenLedger().listValid()->size(), 1);
        QTRY_VERIFY(send->isEnabled());

        server.stop();
        QTRY_VERIFY(!send->isEnabled());
    }
};

QTEST_MAIN(TestPlaygroundPanel)
#include "test_playground_panel.moc"
