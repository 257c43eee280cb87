#include "http/transport/tls_setup.h"

#include <QDateTime>
#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/secret_files.h"

namespace smartbot::http {

namespace {
Error fail(const QString &message)
{
    return Error{message.toStdString()};
}

Result<QByteArray> readPem(const char *key, const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("%1 %2 cannot be read: %3").arg(QLatin1String(key), path, f.errorString()));
    return f.read(1024 * 1024);
}

// True when the private key in keyPem belongs to the (first) certificate in certPem. Qt has no such check before
// a handshake, so OpenSSL answers it.
bool keyMatchesCertificate(const QByteArray &certPem, const QByteArray &keyPem)
{
    BIO *certBio = BIO_new_mem_buf(certPem.constData(), int(certPem.size()));
    BIO *keyBio = BIO_new_mem_buf(keyPem.constData(), int(keyPem.size()));
    X509 *cert = certBio ? PEM_read_bio_X509(certBio, nullptr, nullptr, nullptr) : nullptr;
    EVP_PKEY *key = keyBio ? PEM_read_bio_PrivateKey(keyBio, nullptr, nullptr, nullptr) : nullptr;
    const bool ok = cert && key && X509_check_private_key(cert, key) == 1;
    EVP_PKEY_free(key);
    X509_free(cert);
    BIO_free(keyBio);
    BIO_free(certBio);
    return ok;
}
} // namespace

Result<QSslConfiguration> loadTlsConfiguration(const ServerConfig &config)
{
    if (!QSslSocket::supportsSsl())
        return fail(QStringLiteral("ssl_enable = true, but TLS is not available (Qt TLS backend: '%1', library: '%2')")
                        .arg(QSslSocket::activeBackend(), QSslSocket::sslLibraryVersionString()));
    const QString certPath = config.sslCert, keyPath = config.sslKey;

    auto certPem = readPem("ssl_cert", certPath);
    if (!certPem)
        return certPem.failure();
    auto keyPem = readPem("ssl_key", keyPath);
    if (!keyPem)
        return keyPem.failure();
    if (auto r = checkPrivateFile(keyPath); !r)
        return fail(QStringLiteral("ssl_key: %1").arg(QString::fromStdString(r.error())));

    const QList<QSslCertificate> chain = QSslCertificate::fromData(certPem.value(), QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull())
        return fail(QStringLiteral("ssl_cert %1 holds no PEM certificate").arg(certPath));
    const QSslCertificate &cert = chain.first();

    QSslKey key(keyPem.value(), QSsl::Rsa, QSsl::Pem, QSsl::PrivateKey);
    if (key.isNull())
        key = QSslKey(keyPem.value(), QSsl::Ec, QSsl::Pem, QSsl::PrivateKey);
    if (key.isNull())
        return fail(QStringLiteral("ssl_key %1 is not a PEM RSA or EC private key (passphrase-protected keys are "
                                   "not supported)")
                        .arg(keyPath));
    if (!keyMatchesCertificate(certPem.value(), keyPem.value()))
        return fail(QStringLiteral("ssl_key %1 does not match the certificate in ssl_cert %2").arg(keyPath, certPath));

    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (cert.expiryDate() < now)
        return fail(
            QStringLiteral("ssl_cert %1 expired on %2").arg(certPath, cert.expiryDate().toUTC().toString(Qt::ISODate)));
    if (cert.effectiveDate() > now)
        return fail(QStringLiteral("ssl_cert %1 is not valid until %2")
                        .arg(certPath, cert.effectiveDate().toUTC().toString(Qt::ISODate)));
    const qint64 daysLeft = now.daysTo(cert.expiryDate());
    if (daysLeft < 14)
        qWarning("ssl_cert %s expires in %lld days (%s)", qPrintable(certPath), daysLeft,
                 qPrintable(cert.expiryDate().toUTC().toString(Qt::ISODate)));

    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificateChain(chain);
    tls.setPrivateKey(key);
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.setCiphers(forwardSecretAeadCiphers());
    tls.setPeerVerifyMode(QSslSocket::VerifyNone); // no client certificates
    return tls;
}

QList<QSslCipher> forwardSecretAeadCiphers()
{
    // TLS 1.3 suites are all ephemeral-key AEAD. On TLS 1.2 only ECDHE key exchange (forward secrecy) with GCM or
    // ChaCha20-Poly1305: static-RSA key exchange and CBC-SHA1 suites (AES128-SHA, ...) are left out, as Mozilla's
    // "intermediate" profile does. Every client of the last decade offers one of these.
    QList<QSslCipher> out;
    for (const QSslCipher &c : QSslConfiguration::supportedCiphers()) {
        const QString name = c.name();
        const bool tls13 = name.startsWith(QLatin1String("TLS_"));
        const bool ecdheAead =
            name.startsWith(QLatin1String("ECDHE-")) &&
            (name.contains(QLatin1String("-GCM-")) || name.endsWith(QLatin1String("CHACHA20-POLY1305")));
        if (tls13 || ecdheAead)
            out << c;
    }
    return out;
}

} // namespace smartbot::http
