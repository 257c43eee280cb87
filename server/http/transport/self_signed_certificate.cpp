#include "http/transport/self_signed_certificate.h"

#include <QDir>
#include <QFileInfo>
#include <QHostAddress>
#include <QHostInfo>
#include <QNetworkInterface>
#include <QRegularExpression>
#include <QSaveFile>

#include <functional>
#include <memory>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include "core/secret_files.h"

namespace smartbot::http {

namespace {
template <typename T, void (*Free)(T *)> struct Deleter {
    void operator()(T *p) const { Free(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Ext = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

// A DNS name as certificates carry it: letters, digits and hyphens in dot-separated labels, "*." allowed first.
bool validDnsName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral(
        R"(^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$)"));
    return name.size() <= 253 && re.match(name).hasMatch();
}

Result<QByteArray> pem(const std::function<int(BIO *)> &write)
{
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || write(bio.get()) != 1)
        return makeError("OpenSSL could not encode the certificate or key");
    char *data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return QByteArray(data, qsizetype(n));
}

bool addExtension(X509 *cert, int nid, const QString &value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.toLatin1().constData()));
    return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

Result<void> makeFolder(const QString &path)
{
    const QString dir = QFileInfo(path).absolutePath();
    if (QFileInfo(dir).isDir())
        return {};
    if (!QDir().mkpath(QFileInfo(dir).absolutePath()) || ::mkdir(QFile::encodeName(dir).constData(), 0700) != 0)
        return makeError("cannot create the folder " + dir.toStdString());
    return {};
}
} // namespace

Result<void> writeSelfSignedCertificate(const SelfSignedRequest &request, const QString &certPath,
                                        const QString &keyPath)
{
    if (request.days < 1 || request.days > 3650)
        return makeError("a certificate is valid for 1 to 3650 days, not " + std::to_string(request.days),
                         ErrorCode::InvalidArgument);
    QStringList altNames;
    for (const QString &raw : request.hosts) {
        const QString host = raw.trimmed();
        if (host.isEmpty())
            continue;
        QHostAddress ip;
        if (ip.setAddress(host))
            altNames << QStringLiteral("IP:") + ip.toString();
        else if (validDnsName(host))
            altNames << QStringLiteral("DNS:") + host.toLower();
        else
            return makeError("'" + host.toStdString() + "' is neither a host name nor an IP address",
                             ErrorCode::InvalidArgument);
    }
    if (altNames.isEmpty())
        return makeError("name at least one host name or IP address for the certificate", ErrorCode::InvalidArgument);
    altNames.removeDuplicates();
    const QString commonName = altNames.first().section(QLatin1Char(':'), 1);

    PKey key(EVP_EC_gen("P-256"));
    Cert cert(X509_new());
    if (!key || !cert)
        return makeError("OpenSSL could not make a key");
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1)
        return makeError("OpenSSL has no random numbers");
    serial[0] &= 0x7f; // a positive serial number, as RFC 5280 requires
    std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>> bn(BN_bin2bn(serial, sizeof serial, nullptr));
    X509_NAME *name = X509_get_subject_name(cert.get());
    const bool built =
        bn && X509_set_version(cert.get(), 2) == 1 &&
        BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) != nullptr &&
        X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) != nullptr && // five minutes of clock skew
        X509_time_adj_ex(X509_getm_notAfter(cert.get()), request.days, 0, nullptr) != nullptr &&
        X509_set_pubkey(cert.get(), key.get()) == 1 &&
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char *>(commonName.toUtf8().constData()), -1, -1,
                                   0) == 1 &&
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char *>("SmartBot"), -1,
                                   -1, 0) == 1 &&
        X509_set_issuer_name(cert.get(), name) == 1 &&
        addExtension(cert.get(), NID_basic_constraints, QStringLiteral("critical,CA:FALSE")) &&
        addExtension(cert.get(), NID_key_usage, QStringLiteral("critical,digitalSignature,keyAgreement")) &&
        addExtension(cert.get(), NID_ext_key_usage, QStringLiteral("serverAuth")) &&
        addExtension(cert.get(), NID_subject_key_identifier, QStringLiteral("hash")) &&
        addExtension(cert.get(), NID_subject_alt_name, altNames.join(QLatin1Char(','))) &&
        X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
    if (!built)
        return makeError("OpenSSL could not build the certificate");

    auto keyPem =
        pem([&](BIO *b) { return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
    auto certPem = pem([&](BIO *b) { return PEM_write_bio_X509(b, cert.get()); });
    if (!keyPem)
        return keyPem.failure();
    if (!certPem)
        return certPem.failure();
    for (const QString &path : {certPath, keyPath})
        if (auto r = makeFolder(path); !r)
            return r;
    if (auto r = writePrivateFile(keyPath, keyPem.value(), 0600); !r)
        return r;
    QSaveFile f(certPath);
    if (!f.open(QIODevice::WriteOnly) || f.write(certPem.value()) != certPem->size() ||
        !f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup |
                          QFileDevice::ReadOther) ||
        !f.commit())
        return makeError("cannot write " + certPath.toStdString() + ": " + f.errorString().toStdString());
    return {};
}

QStringList defaultCertificateHosts(const QString &bindAddress)
{
    QStringList hosts;
    const QString hostName = QHostInfo::localHostName();
    if (validDnsName(hostName))
        hosts << hostName;
    hosts << QStringLiteral("localhost");
    const QHostAddress bind(bindAddress);
    if (bind == QHostAddress::AnyIPv4 || bind == QHostAddress::AnyIPv6 || bind == QHostAddress::Any) {
        for (const QHostAddress &a : QNetworkInterface::allAddresses())
            if (!a.isLoopback() && !a.isLinkLocal() &&
                (bind != QHostAddress::AnyIPv4 || a.protocol() == QHostAddress::IPv4Protocol))
                hosts << a.toString();
        hosts << QStringLiteral("127.0.0.1");
    } else if (!bind.isNull()) {
        hosts << bind.toString();
    } else {
        hosts << QStringLiteral("127.0.0.1");
    }
    hosts.removeDuplicates();
    return hosts;
}

} // namespace smartbot::http
