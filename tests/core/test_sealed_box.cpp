// SealedBox (core/sealed_box.h): what seal() makes, open() gives back under the same key and name only; a changed
// byte anywhere, another key, another name or a short input is refused, and keys of the wrong length are refused.
#include <QtTest>

#include "core/sealed_box.h"

using namespace smartbot;

class TestSealedBox : public QObject {
    Q_OBJECT
    static SealedBox box(char fill) { return SealedBox::withKey(QByteArray(SealedBox::kKeyBytes, fill)).value(); }

private Q_SLOTS:
    void roundTrip_data()
    {
        QTest::addColumn<QByteArray>("plain");
        QTest::addColumn<QByteArray>("name");
        QTest::newRow("empty") << QByteArray() << QByteArray("n");
        QTest::newRow("a key") << QByteArray(32, '\x7f') << QByteArray("kid-1");
        QTest::newRow("1 MiB, no name") << QByteArray(1 << 20, 'x') << QByteArray();
    }
    void roundTrip()
    {
        QFETCH(QByteArray, plain);
        QFETCH(QByteArray, name);
        auto sealed = box('k').seal(plain, name);
        QVERIFY(sealed.ok());
        QCOMPARE(sealed->size(), plain.size() + SealedBox::kNonceBytes + SealedBox::kTagBytes);
        if (!plain.isEmpty())
            QVERIFY(!sealed->contains(plain.left(16))); // not in the clear
        auto opened = box('k').open(sealed.value(), name);
        QVERIFY2(opened.ok(), opened.ok() ? "" : opened.error().c_str());
        QCOMPARE(opened.value(), plain);
        // A fresh nonce each time: sealing the same bytes twice gives different results.
        QVERIFY(box('k').seal(plain, name).value() != sealed.value());
    }

    void refused_data()
    {
        QTest::addColumn<QString>("change");
        QTest::newRow("another key") << "key";
        QTest::newRow("another name") << "name";
        QTest::newRow("nonce changed") << "nonce";
        QTest::newRow("ciphertext changed") << "body";
        QTest::newRow("tag changed") << "tag";
        QTest::newRow("too short") << "short";
    }
    void refused()
    {
        QFETCH(QString, change);
        QByteArray sealed = box('k').seal("the signing key", "kid-1").value();
        SealedBox opener = box(change == QLatin1String("key") ? 'j' : 'k');
        QByteArray name = change == QLatin1String("name") ? "kid-2" : "kid-1";
        if (change == QLatin1String("nonce"))
            sealed[0] = char(sealed[0] ^ 1);
        else if (change == QLatin1String("body"))
            sealed[SealedBox::kNonceBytes + 3] = char(sealed[SealedBox::kNonceBytes + 3] ^ 0x40);
        else if (change == QLatin1String("tag"))
            sealed[sealed.size() - 1] = char(sealed[sealed.size() - 1] ^ 0x80);
        else if (change == QLatin1String("short"))
            sealed = sealed.left(SealedBox::kNonceBytes + SealedBox::kTagBytes - 1);
        auto opened = opener.open(sealed, name);
        QVERIFY(!opened.ok());
        QCOMPARE(opened.code(),
                 change == QLatin1String("short") ? ErrorCode::InvalidArgument : ErrorCode::PermissionDenied);
    }

    void keyLength_data()
    {
        QTest::addColumn<int>("bytes");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("none") << 0 << false;
        QTest::newRow("16 (AES-128's)") << 16 << false;
        QTest::newRow("31") << 31 << false;
        QTest::newRow("32") << 32 << true;
        QTest::newRow("33") << 33 << false;
    }
    void keyLength()
    {
        QFETCH(int, bytes);
        QFETCH(bool, accepted);
        auto b = SealedBox::withKey(QByteArray(bytes, 'a'));
        QCOMPARE(b.ok(), accepted);
        if (!accepted)
            QCOMPARE(b.code(), ErrorCode::InvalidArgument);
        QVERIFY(!SealedBox().seal("x", "n").ok()); // a box without a key seals nothing
    }
};

QTEST_APPLESS_MAIN(TestSealedBox)
#include "test_sealed_box.moc"
