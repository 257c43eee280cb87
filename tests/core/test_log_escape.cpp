// escapeForLog: one event is one log line whatever the text in it (issue 16, item 6).
#include <QtTest>

#include "core/log_escape.h"

class TestLogEscape : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void escapes_data()
    {
        QTest::addColumn<QString>("in");
        QTest::addColumn<QString>("out");
        QTest::newRow("plain") << QString("issued a token for 'alice'") << QString("issued a token for 'alice'");
        QTest::newRow("forged line") << QString("bob\n2026-01-01T00:00:00Z WARN forged")
                                     << QString("bob\\n2026-01-01T00:00:00Z WARN forged");
        QTest::newRow("crlf and tab") << QString("a\r\n\tb") << QString("a\\r\\n\\tb");
        QTest::newRow("terminal escape") << QString("x\x1b[31mred") << QString("x\\x1b[31mred");
        QTest::newRow("nul and del") << QString::fromUtf16(u"a\u0000b\u007f", 4) << QString("a\\x00b\\x7f");
        QTest::newRow("c1 next line") << QString::fromUtf16(u"a\u0085b") << QString("a\\x85b");
        QTest::newRow("unicode separators") << QString::fromUtf16(u"a\u2028b\u2029c") << QString("a\\u2028b\\u2029c");
        QTest::newRow("non-ascii kept") << QString::fromUtf16(u"智能对话 caf\u00e9")
                                        << QString::fromUtf16(u"智能对话 caf\u00e9");
        QTest::newRow("empty") << QString() << QString();
    }
    void escapes()
    {
        QFETCH(QString, in);
        QFETCH(QString, out);
        QCOMPARE(smartbot::escapeForLog(in), out);
        QVERIFY(!smartbot::escapeForLog(in).contains(QLatin1Char('\n')));
    }
};

QTEST_GUILESS_MAIN(TestLogEscape)
#include "test_log_escape.moc"
