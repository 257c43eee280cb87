// TLS for the API port: loads [network] ssl_cert / ssl_key and checks them before the server listens, so that a
// bad certificate stops the start with a message naming the file and the problem (unreadable, not PEM, key and
// certificate do not match, expired or not yet valid, key readable by group or others).
#pragma once

#include <QSslConfiguration>

#include "core/server_config.h"

namespace smartbot::http {

// A server-side configuration: the certificate chain and key, TLS 1.2 or later, no client certificates.
Result<QSslConfiguration> loadTlsConfiguration(const ServerConfig &config);

} // namespace smartbot::http
