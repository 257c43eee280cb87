// CORS origins as [network] cors_origins lists them: "scheme://host[:port]" entries separated by commas, or "*"
// for any origin. Parsed once at start by ServerConfig; the HTTP layer (http/auth/cors.h) matches requests.
#pragma once

#include <QStringList>

#include "smartbot/common/result.h"

namespace smartbot {

// Origins compare as scheme://host[:port], lower case, without a trailing slash.
QString normalizedOrigin(QString origin);
// The distinct normalized origins of a comma-separated list; an entry that is not an origin is an error naming it.
Result<QStringList> parseCorsOrigins(const QString &text);

} // namespace smartbot
