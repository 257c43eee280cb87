#include "http/transport/certificate_report.h"

#include <QFile>
#include <QFileInfo>
#include <QSslCertificate>
#include <QSslKey>

#include <sys/stat.h>

#include "core/server_config.h"
#include "http/transport/tls_setup.h"

namespace smartbot::http {

namespace {
// "CN=..., O=..." from the attributes a person recognises, most specific first.
QString distinguishedName(const QSslCertificate &cert, bool issuer)
{
    static const std::pair<QSslCertificate::SubjectInfo, const char *> kParts[] = {
        {QSslCertificate::CommonName, "CN"},
        {QSslCertificate::Organization, "O"},
        {QSslCertificate::OrganizationalUnitName, "OU"},
        {QSslCertificate::LocalityName, "L"},
        {QSslCertificate::StateOrProvinceName, "ST"},
        {QSslCertificate::CountryName, "C"},
    };
    QStringList parts;
    for (const auto &[info, tag] : kParts)
        for (const QString &value : issuer ? cert.issuerInfo(info) : cert.subjectInfo(info))
            parts << QLatin1String(tag) + QLatin1Char('=') + value;
    return parts.join(QStringLiteral(", "));
}

QString octalMode(const QString &path)
{
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return {};
    return QStringLiteral("0%1").arg(st.st_mode & 0777, 3, 8, QLatin1Char('0'));
}
} // namespace

CertificateReport inspectCertificateFiles(const QString &certPath, const QString &keyPath)
{
    CertificateReport r;
    r.keyMode = octalMode(keyPath);
    QFile f(certPath);
    if (f.open(QIODevice::ReadOnly)) {
        const QList<QSslCertificate> chain = QSslCertificate::fromData(f.read(1024 * 1024), QSsl::Pem);
        if (!chain.isEmpty() && !chain.first().isNull()) {
            const QSslCertificate &cert = chain.first();
            r.certificateRead = true;
            r.chainLength = int(chain.size());
            r.subject = distinguishedName(cert, false);
            r.issuer = distinguishedName(cert, true);
            const auto alt = cert.subjectAlternativeNames();
            for (auto it = alt.cbegin(); it != alt.cend(); ++it)
                r.names << (it.key() == QSsl::DnsEntry ? QStringLiteral("DNS:") : QStringLiteral("IP:")) + it.value();
            r.notBefore = cert.effectiveDate().toUTC();
            r.notAfter = cert.expiryDate().toUTC();
            r.selfSigned = cert.isSelfSigned();
            const QSslKey key = cert.publicKey();
            r.publicKey = QStringLiteral("%1 %2-bit")
                              .arg(key.algorithm() == QSsl::Ec    ? QStringLiteral("EC")
                                   : key.algorithm() == QSsl::Rsa ? QStringLiteral("RSA")
                                                                  : QStringLiteral("other"))
                              .arg(key.length());
            r.sha256 = QString::fromLatin1(cert.digest(QCryptographicHash::Sha256).toHex(':')).toUpper();
        }
    }
    ServerConfig config;
    config.sslEnable = true;
    config.sslCert = certPath;
    config.sslKey = keyPath;
    if (auto tls = loadTlsConfiguration(config); !tls)
        r.problem = QString::fromStdString(tls.error());
    else if (const qint64 days = QDateTime::currentDateTimeUtc().daysTo(r.notAfter); days < 14)
        r.warning = QStringLiteral("expires in %1 days").arg(days);
    return r;
}

} // namespace smartbot::http
