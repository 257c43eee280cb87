// LogPanel, offscreen, fed by the real LogBuffer: the level filter and the search narrow what is shown (new lines
// included), Clear empties it, Export writes exactly the lines shown.
#include <QComboBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QtTest>

#include "app/log_panel.h"
#include "core/log_buffer.h"
#include "gui_testing.h"

using smartbot::gui::LogPanel;
using smartbot::testsupport::child;

class TestLogPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { smartbot::LogBuffer::instance().install(false); }

    void filterSearchExport()
    {
        LogPanel panel;
        panel.show();
        auto *view = panel.view();
        qInfo("an info line about apples");
        qWarning("a warning about pears");
        qCritical("an error about apples");
        QTRY_VERIFY(view->toPlainText().contains(QStringLiteral("an error about apples")));

        auto *level = child<QComboBox>(&panel, "logLevelCombo");
        level->setCurrentIndex(1); // warnings and errors
        QVERIFY(!view->toPlainText().contains(QStringLiteral("info line")));
        QVERIFY(view->toPlainText().contains(QStringLiteral("warning about pears")));
        QVERIFY(view->toPlainText().contains(QStringLiteral("error about apples")));
        level->setCurrentIndex(2); // errors only
        QVERIFY(!view->toPlainText().contains(QStringLiteral("pears")));
        level->setCurrentIndex(0);

        auto *search = child<QLineEdit>(&panel, "logSearchEdit");
        search->setText(QStringLiteral("APPLES"));
        QVERIFY(view->toPlainText().contains(QStringLiteral("info line about apples")));
        QVERIFY(!view->toPlainText().contains(QStringLiteral("pears")));
        qWarning("more pears"); // a new line that does not match stays hidden
        qInfo("more apples");   // one that does shows
        QTRY_VERIFY(view->toPlainText().contains(QStringLiteral("more apples")));
        QVERIFY(!view->toPlainText().contains(QStringLiteral("more pears")));

        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("export.log"));
        QVERIFY(panel.exportTo(path));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(f.readAll()), view->toPlainText() + QLatin1Char('\n'));
        QVERIFY(!panel.exportTo(dir.filePath(QStringLiteral("no/such/folder/x.log"))));

        search->clear();
        QVERIFY(view->toPlainText().contains(QStringLiteral("more pears"))); // kept, only hidden
        panel.clear();
        QVERIFY(view->toPlainText().isEmpty());
        level->setCurrentIndex(1);
        QVERIFY(view->toPlainText().isEmpty()); // cleared lines do not come back
    }

    // "Open log folder" opens [logging] dir of the config folder; disabled without a log file.
    void logFolder_data()
    {
        QTest::addColumn<QByteArray>("conf");
        QTest::addColumn<QString>("folder"); // relative to the config folder; "" = none
        QTest::newRow("default") << QByteArray() << "logs";
        QTest::newRow("configured") << QByteArray("[logging]\ndir = var/log\n") << "var/log";
        QTest::newRow("none") << QByteArray("[logging]\ndir = none\n") << "";
    }
    void logFolder()
    {
        QFETCH(QByteArray, conf);
        QFETCH(QString, folder);
        QTemporaryDir dir;
        if (!conf.isEmpty()) {
            QFile f(dir.filePath(QStringLiteral("server.conf")));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(conf);
        }
        LogPanel panel;
        panel.setConfigDir(dir.path());
        QCOMPARE(panel.logFolder(), folder.isEmpty() ? QString() : dir.filePath(folder));
        QCOMPARE(child<QPushButton>(&panel, "openLogFolderButton")->isEnabled(), !folder.isEmpty());
        panel.setConfigDir(QString());
        QVERIFY(!child<QPushButton>(&panel, "openLogFolderButton")->isEnabled());
    }
};

QTEST_MAIN(TestLogPanel)
#include "test_log_panel.moc"
