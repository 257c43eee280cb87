#include "core/log_buffer.h"

#include <QDateTime>

#include "core/log_escape.h"
#include "core/rotating_log_file.h"
#include <cstdio>

namespace smartbot {

bool parseLogLevel(const QString &text, LogLevel &out)
{
    static const std::pair<const char *, LogLevel> kLevels[] = {{"debug", LogLevel::Debug},
                                                                {"info", LogLevel::Info},
                                                                {"warning", LogLevel::Warning},
                                                                {"warn", LogLevel::Warning},
                                                                {"error", LogLevel::Error}};
    for (const auto &[name, level] : kLevels)
        if (text.trimmed().compare(QLatin1String(name), Qt::CaseInsensitive) == 0) {
            out = level;
            return true;
        }
    return false;
}

void logMessageHandler(QtMsgType type, const QMessageLogContext &ctx, const QString &msg)
{
    static const std::pair<QtMsgType, std::pair<LogLevel, const char *>> kTypes[] = {
        {QtDebugMsg, {LogLevel::Debug, "DEBUG"}},
        {QtInfoMsg, {LogLevel::Info, "INFO"}},
        {QtWarningMsg, {LogLevel::Warning, "WARN"}},
        {QtCriticalMsg, {LogLevel::Error, "ERROR"}},
        {QtFatalMsg, {LogLevel::Fatal, "FATAL"}}};
    LogLevel level = LogLevel::Info;
    const char *name = "INFO";
    for (const auto &[t, entry] : kTypes)
        if (t == type) {
            level = entry.first;
            name = entry.second;
        }
    LogBuffer &b = LogBuffer::instance();
    if (level < b.minLevel_)
        return;
    const QString line =
        QStringLiteral("%1 %2 %3")
            .arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs), QLatin1String(name), escapeForLog(msg));
    if (b.echo_) {
        const QByteArray bytes = line.toUtf8();
        std::fprintf(stderr, "%s\n", bytes.constData());
        std::fflush(stderr);
    }
    b.append(line, level);
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

void LogBuffer::append(const QString &line, LogLevel level)
{
    std::shared_ptr<RotatingLogFile> file;
    {
        QMutexLocker lock(&mutex_);
        lines_.push_back({nextId_++, level, line});
        while (int(lines_.size()) > capacity_)
            lines_.pop_front();
        file = file_;
    }
    if (file)
        file->write(line);
    Q_EMIT lineAppended(line);
}

QList<LogLine> LogBuffer::since(qint64 after, LogLevel minLevel, int maxLines) const
{
    QMutexLocker lock(&mutex_);
    QList<LogLine> out;
    for (const LogLine &l : lines_)
        if (l.id > after && l.level >= minLevel && out.size() < maxLines)
            out << l;
    return out;
}

void LogBuffer::setMinimumLevel(LogLevel level)
{
    minLevel_ = level;
}

void LogBuffer::setFile(std::shared_ptr<RotatingLogFile> file)
{
    QMutexLocker lock(&mutex_);
    file_ = std::move(file);
}

void LogBuffer::releaseFile(const RotatingLogFile *file)
{
    QMutexLocker lock(&mutex_);
    if (file_.get() == file)
        file_.reset();
}

QStringList LogBuffer::recent(int maxLines) const
{
    QMutexLocker lock(&mutex_);
    QStringList out;
    const int n = std::min<int>(maxLines, int(lines_.size()));
    for (auto it = lines_.end() - n; it != lines_.end(); ++it)
        out << it->text;
    return out;
}

void LogBuffer::setCapacity(int lines)
{
    QMutexLocker lock(&mutex_);
    capacity_ = std::max(1, lines);
}

} // namespace smartbot
