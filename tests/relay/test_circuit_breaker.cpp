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
            QVERIFY(b.allow(0) != CircuitBreaker::Admission::Refused || e == 's');
            if (e == 'f')
                b.failed(0, false);
            else
                b.succeeded(false);
        }
        QCOMPARE(int(b.state(10)), state);
    }

    void halfOpenLetsOneTrialThrough()
    {
        using Admission = CircuitBreaker::Admission;
        CircuitBreaker b(2, 1000);
        QCOMPARE(b.allow(0), Admission::Allowed);
        b.failed(0, false);
        b.failed(100, false); // open at 100
        QCOMPARE(b.allow(500), Admission::Refused);
        QCOMPARE(b.retryAfterMs(500), 600);
        QCOMPARE(b.state(1100), State::HalfOpen);
        QCOMPARE(b.allow(1100), Admission::Trial);
        QCOMPARE(b.allow(1101), Admission::Refused); // only one at a time
        b.abandoned(false);                          // an older request's end does not free the trial
        b.failed(1150, false);                       // nor does its failure count twice
        QCOMPARE(b.allow(1102), Admission::Refused);
        b.failed(1200, true); // the trial failed: open for another cool-down
        QCOMPARE(b.state(1300), State::Open);
        QCOMPARE(b.allow(2100), Admission::Refused);
        QCOMPARE(b.allow(2200), Admission::Trial);
        b.abandoned(true); // its client went away: another may try
        QCOMPARE(b.allow(2201), Admission::Trial);
        b.succeeded(true);
        QCOMPARE(b.state(2300), State::Closed);
        QCOMPARE(b.allow(2300), Admission::Allowed);
    }
};

QTEST_APPLESS_MAIN(TestCircuitBreaker)
#include "test_circuit_breaker.moc"
