// AuditPanel, offscreen, against the real in-process server with stories260K: an admin action over HTTP and one in
// the app appear with who did them; a chat request shows in the usage table under its user; the filter narrows
// both tables; nothing is shown once the server stops.
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "app/audit_panel.h"
#include "core/audit_log.h"
#include "core/log_buffer.h"
#include "http/auth/authenticator.h"
#include "http/server/smartbot_server.h"
#include "gui_testing.h"
#include "require_data.h"
#include "screenshot.h"

using smartbot::gui::AuditPanel;
using smartbot::http::SmartbotServer;
using ModelState = smartbot::service::InferenceWorker::ModelState;
using namespace smartbot::testsupport;

namespace {

QStringList column(QTableWidget *t, int c, bool visibleOnly = false)
{
    QStringList out;
    for (int r = 0; r < t->rowCount(); ++r)
        if (!visibleOnly || !t->isRowHidden(r))
            out << t->item(r, c)->text();
    return out;
}

} // namespace

class TestAuditPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { smartbot::LogBuffer::instance().install(true); }

    void auditAndUsage()
    {
        REQUIRE_DATA(kStoriesModel + "/config.json");
        QTemporaryDir config;
        SmartbotServer server;
        AuditPanel panel(&server);
        QVERIFY(child<QLabel>(&panel, "auditNotice")->isVisibleTo(&panel));
        QVERIFY(!child<QTableWidget>(&panel, "auditTable")->isEnabled());
        QVERIFY(startWithModel(server, config));

        const HttpReply issued = postJson(server.port(), QStringLiteral("/admin/token"), R"({"username":"alice"})",
                                          "X-API-Key", adminKeyOf(config));
        QCOMPARE(issued.status, 200);
        const QByteArray token = QJsonDocument::fromJson(issued.body).object().value("token").toString().toLatin1();
        QCOMPARE(chatWith(server.port(), token), 200);
        // An action of the app's own (as the Keys panel records them).
        server.authenticator()->auditLog().record(QStringLiteral("gui (op)"), QStringLiteral("local"),
                                                  QStringLiteral("key.create"), QStringLiteral("x (sb_y)"));

        panel.show(); // re-reads on show
        auto *audit = child<QTableWidget>(&panel, "auditTable");
        auto *usage = child<QTableWidget>(&panel, "usageTable");
        QVERIFY(audit->isEnabled());
        QVERIFY(!child<QLabel>(&panel, "auditNotice")->isVisible());
        QVERIFY2(column(audit, 3).contains(QStringLiteral("token.issue")), qPrintable(column(audit, 3).join(',')));
        QCOMPARE(column(audit, 1).first(), QStringLiteral("gui (op)")); // newest first
        QVERIFY(column(audit, 1).contains(QStringLiteral("admin key")));
        QVERIFY(column(audit, 2).contains(QStringLiteral("127.0.0.1")));
        QVERIFY2(column(usage, 0).contains(QStringLiteral("user:alice")), qPrintable(column(usage, 0).join(',')));
        const int aliceRow = int(column(usage, 0).indexOf(QStringLiteral("user:alice")));
        QCOMPARE(usage->item(aliceRow, 1)->text(), QStringLiteral("1"));
        QVERIFY(usage->item(aliceRow, 3)->text().toInt() > 0); // generated tokens

        auto *filter = child<QLineEdit>(&panel, "auditFilterEdit");
        filter->setText(QStringLiteral("gui (op)"));
        QCOMPARE(column(audit, 1, true), QStringList{QStringLiteral("gui (op)")});
        QVERIFY(column(usage, 0, true).isEmpty());
        filter->setText(QStringLiteral("alice"));
        QCOMPARE(column(usage, 0, true), QStringList{QStringLiteral("user:alice")});
        filter->clear();
        panel.resize(900, 600);
        smartbot::testsupport::saveScreenshot(&panel, QStringLiteral("audit"));

        server.stop();
        QTRY_VERIFY(!audit->isEnabled());
        QCOMPARE(audit->rowCount(), 0);
        QCOMPARE(usage->rowCount(), 0);
    }
};

QTEST_MAIN(TestAuditPanel)
#include "test_audit_panel.moc"
