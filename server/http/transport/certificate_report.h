// CertificateReport: what the desktop app's Certificates panel (and `smartbotd cert show`) shows about a pair of
// TLS files: the certificate's subject, issuer, names (subjectAltName), validity, key type and fingerprint, the
// key file's mode, and — the one verdict that matters — the message loadTlsConfiguration() (tls_setup.h) gives
// for these files, so a bad file reads exactly as the server would refuse it at start.
#pragma once

#include <QDateTime>
#include <QStringList>

namespace smartbot::http {

struct CertificateReport {
    bool certificateRead = false; // the first certificate of the file parsed; the fields below are set
    QString subject;              // e.g. "CN=smartbot.example, O=Example"
    QString issuer;
    QStringList names;             // "DNS:host" and "IP:address" entries of subjectAltName
    QDateTime notBefore, notAfter; // UTC
    bool selfSigned = false;
    int chainLength = 0; // certificates in the file
    QString publicKey;   // e.g. "EC 256-bit", "RSA 2048-bit"
    QString sha256;      // fingerprint, colon-separated hex
    QString keyMode;     // the key file's permission bits as octal ("0600"), "" when it does not exist
    QString problem;     // why the server would refuse these files at start; "" when it would use them
    QString warning;     // would start, but: expires within 14 days
};

// Reads certPath and keyPath (absolute); never fails: what cannot be read is in problem.
CertificateReport inspectCertificateFiles(const QString &certPath, const QString &keyPath);

} // namespace smartbot::http
