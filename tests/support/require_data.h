// REQUIRE_DATA(path): the test data a test needs must be there. Shared data (../shared, see the README) and the
// repository's own test data alike: a missing file fails the test with its path, never skips it silently.
#pragma once

#include <QFileInfo>
#include <QString>
#include <QtTest>

#include <string>

namespace smartbot::testsupport {
inline QString dataPath(const std::string &p)
{
    return QString::fromStdString(p);
}
inline QString dataPath(const QString &p)
{
    return p;
}
} // namespace smartbot::testsupport

#define REQUIRE_DATA(path)                                                                                             \
    do {                                                                                                               \
        const QString requiredPath_ = smartbot::testsupport::dataPath(path);                                           \
        if (!QFileInfo::exists(requiredPath_))                                                                         \
            QFAIL(qPrintable(QStringLiteral("test data missing: %1 (../shared is laid beside the repository; "         \
                                            "see the README)")                                                         \
                                 .arg(requiredPath_)));                                                                \
    } while (false)
