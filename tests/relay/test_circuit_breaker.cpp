// CircuitBreaker (relay/circuit_breaker.h): closed -> open after N consecutive failures, refused while open,
// one trial when half-open, closed by the trial's success or opened again by its failure.
#include <QTest>

#include "relay/circuit_breaker.h"

using smartbot::relay::CircuitBreaker;
using State = CircuitBreaker::State;

class TestCircuitBreaker : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void opensAfterConsecutiveFailures_data()
    {
        QTest::addColumn<int>("threshold");
        QTest::addColumn<QString>("events"); // f = failure, s = success
        QTest::addColumn<int>("state");
        QTest::newRow("one failure of three") << 3 << "f" << int(State::Closed);
        QTest::newRow("three in a row") << 3 << "fff" << int(State::Open);
        QTest::newRow("a success resets the count") << 3 << "ffsff" << int(State::Closed);
        QTest::newRow("threshold one") << 1 << "f" << int(State::Open);
        QTest::newRow("success after opening closes") << 2 << "ffs" << int(State::Closed);
    }
    void opensAfterConsecutiveFailures()
    {
        QFETCH(int, threshold);
        QFETCH(QString, events);
        QFETCH(int, state);
        CircuitBreaker b(threshold, 1000);
        for (QChar e : events) {
            QVERIFY(b.allow(0) || e == 's');
            if (e == 'f')
                b.failed(0);
            else
                b.succeeded();
        }
        QCOMPARE(int(b.state(10)), state);
    }

    void halfOpenLetsOneTrialThrough()
    {
        CircuitBreaker b(2, 1000);
        b.failed(0);
        b.failed(100); // open at 100
        QVERIFY(!b.allow(500));
        QCOMPARE(b.retryAfterMs(500), 600);
        QCOMPARE(b.state(1100), State::HalfOpen);
        QVERIFY(b.allow(1100));  // the trial
        QVERIFY(!b.allow(1101)); // only one at a time
        b.failed(1200);          // the trial failed: open for another cool-down
        QCOMPARE(b.state(1300), State::Open);
        QVERIFY(!b.allow(2100));
        QVERIFY(b.allow(2200)); // the next trial
        b.abandoned();          // its client went away: another may try
        QVERIFY(b.allow(2201));
        b.succeeded();
        QCOMPARE(b.state(2300), State::Closed);
        QVERIFY(b.allow(2300) && b.allow(2300));
    }
};

QTEST_APPLESS_MAIN(TestCircuitBreaker)
#include "test_circuit_breaker.moc"
