// TLS for the API port: loads [network] ssl_cert / ssl_key and checks them before the server listens, so that a
// bad certificate stops the start with a message naming the file and the problem (unreadable, not PEM, key and
// certificate do not match, expired or not yet valid, key readable by group or others).
#pragma once

#include <QSslCipher>
#include <QSslConfiguration>

#include "core/server_config.h"

namespace smartbot::http {

// A server-side configuration: the certificate chain and key, TLS 1.2 or later with forward-secret AEAD ciphers
// only, no client certificates.
Result<QSslConfiguration> loadTlsConfiguration(const ServerConfig &config);

// The cipher suites served: TLS 1.3's, and ECDHE with AES-GCM or ChaCha20-Poly1305 on TLS 1.2.
QList<QSslCipher> forwardSecretAeadCiphers();

} // namespace smartbot::http
