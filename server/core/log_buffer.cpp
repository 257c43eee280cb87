#include "core/log_buffer.h"

#include <QDateTime>

#include "core/log_escape.h"
#include <cstdio>

namespace smartbot {

void logMessageHandler(QtMsgType type, const QMessageLogContext &ctx, const QString &msg)
{
    const char *level = "INFO";
    switch (type) {
    case QtDebugMsg:
        level = "DEBUG";
        break;
    case QtInfoMsg:
        level = "INFO";
        break;
    case QtWarningMsg:
        level = "WARN";
        break;
    case QtCriticalMsg:
        level = "ERROR";
        break;
    case QtFatalMsg:
        level = "FATAL";
        break;
    }
    const QString line =
        QStringLiteral("%1 %2 %3")
            .arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs), QLatin1String(level), escapeForLog(msg));
    LogBuffer &b = LogBuffer::instance();
    if (b.echo_) {
        const QByteArray bytes = line.toUtf8();
        std::fprintf(stderr, "%s\n", bytes.constData());
        std::fflush(stderr);
    }
    b.append(line);
    (void)ctx;
}

LogBuffer &LogBuffer::instance()
{
    static LogBuffer *b = new LogBuffer; // lives for the process; messages may arrive during static teardown
    return *b;
}

void LogBuffer::install(bool echoToStderr)
{
    echo_ = echoToStderr;
    qInstallMessageHandler(logMessageHandler);
}

void LogBuffer::append(const QString &line)
{
    {
        QMutexLocker lock(&mutex_);
        lines_.push_back(line);
        while (int(lines_.size()) > capacity_)
            lines_.pop_front();
    }
    Q_EMIT lineAppended(line);
}

QStringList LogBuffer::recent(int maxLines) const
{
    QMutexLocker lock(&mutex_);
    QStringList out;
    const int n = std::min<int>(maxLines, int(lines_.size()));
    for (auto it = lines_.end() - n; it != lines_.end(); ++it)
        out << *it;
    return out;
}

void LogBuffer::setCapacity(int lines)
{
    QMutexLocker lock(&mutex_);
    capacity_ = std::max(1, lines);
}

} // namespace smartbot
