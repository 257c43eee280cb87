// KeychainStore against a real Secret Service (gnome-keyring in a private D-Bus session; see run_with_keyring.sh):
// write, read back, overwrite, remove, missing entries, separate services. Skips when no keychain is reachable.
#include <QtTest>

#include "app/keychain_store.h"

using smartbot::app::KeychainStore;

class TestKeychain : public QObject {
    Q_OBJECT
    const KeychainStore store{KeychainStore::serviceFor(QStringLiteral("/tmp/smartbot-keychain-test-%1").arg(QCoreApplication::applicationPid()))};

private Q_SLOTS:
    void initTestCase()
    {
        auto probe = store.write(QStringLiteral("probe"), "x");
        if (!probe.ok())
            QSKIP(qPrintable(QStringLiteral("no keychain reachable (%1): run under dbus-run-session with gnome-keyring")
                                 .arg(QString::fromStdString(probe.error()))));
        QVERIFY(store.remove(QStringLiteral("probe")).ok());
    }

    void roundTrip()
    {
        const QByteArray secret = QByteArray("sbadmin_") + QByteArray(40, 'z') + QByteArray("\x00\xff", 2);
        QVERIFY(store.write(KeychainStore::kAdminKey, secret).ok());
        auto back = store.read(KeychainStore::kAdminKey);
        QVERIFY2(back.ok(), back.ok() ? "" : back.error().c_str());
        QCOMPARE(back.value(), secret);
        QVERIFY(store.write(KeychainStore::kAdminKey, "second").ok());
        QCOMPARE(store.read(KeychainStore::kAdminKey).value(), QByteArray("second"));
    }

    void separateServices()
    {
        const KeychainStore other(KeychainStore::serviceFor(QStringLiteral("/tmp/another-config")));
        QVERIFY(store.write(KeychainStore::kJwtSecret, "jwt-one").ok());
        auto missing = other.read(KeychainStore::kJwtSecret);
        QVERIFY(!missing.ok());
        QVERIFY(QString::fromStdString(missing.error()).contains("not found"));
    }

    void removeAndMissing()
    {
        QVERIFY(store.remove(KeychainStore::kAdminKey).ok());
        QVERIFY(store.remove(KeychainStore::kJwtSecret).ok());
        auto r = store.read(KeychainStore::kAdminKey);
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.error()).contains("not found"));
        QVERIFY(store.remove(KeychainStore::kAdminKey).ok()); // removing twice is fine
    }
};

QTEST_GUILESS_MAIN(TestKeychain)
#include "test_keychain.moc"
