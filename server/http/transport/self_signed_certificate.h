// A self-signed TLS certificate for the API port, made with OpenSSL 3: an EC P-256 key, SHA-256 signature,
// subjectAltName with every host name and IP address given (browsers and the OpenAI SDKs ignore the CN), CA:FALSE,
// serverAuth. The key is written mode 0600 and the certificate 0644, each atomically. For the desktop app's
// Certificates panel; clients must be told to trust the certificate (or its fingerprint) explicitly.
#pragma once

#include <QStringList>

#include "smartbot/common/result.h"

namespace smartbot::http {

struct SelfSignedRequest {
    QStringList hosts; // DNS names and IP addresses; the first is also the subject's CN. At least one.
    int days = 365;    // validity from now (1..3650)
};

// Writes the PEM certificate to certPath and the PEM private key to keyPath (folders created 0700 when missing).
// Errors name what was wrong: an empty or malformed host, an unwritable path.
Result<void> writeSelfSignedCertificate(const SelfSignedRequest &request, const QString &certPath,
                                        const QString &keyPath);

// The names a certificate for a server bound to bindAddress should carry: this machine's host name, localhost,
// and the bind address (every non-loopback address of this machine when it is 0.0.0.0 or ::).
QStringList defaultCertificateHosts(const QString &bindAddress);

} // namespace smartbot::http
