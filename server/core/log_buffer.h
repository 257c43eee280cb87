// LogBuffer: the process log. Installs a Qt message handler that writes timestamped lines to stderr (journald under
// systemd), to the log file when one is set ([logging], rotating_log_file.h), and keeps the most recent lines with
// ids in a ring buffer that the desktop app and GET /admin/logs read. Lines below the minimum level are dropped
// everywhere. Thread-safe.
#pragma once

#include <QMutex>
#include <QObject>
#include <QStringList>
#include <atomic>
#include <deque>
#include <memory>

namespace smartbot {

class RotatingLogFile;

enum class LogLevel { Debug, Info, Warning, Error, Fatal };
// "debug", "info", "warning", "error" (also "warn"); false for anything else.
bool parseLogLevel(const QString &text, LogLevel &out);

struct LogLine {
    qint64 id = 0; // rises by one per line kept, from 1
    LogLevel level = LogLevel::Info;
    QString text; // "time LEVEL message", escaped (log_escape.h)
};

class LogBuffer : public QObject {
    Q_OBJECT
public:
    static LogBuffer &instance();
    // Routes qDebug/qInfo/qWarning/... here. echoToStderr: also print them (daemon and CLI).
    void install(bool echoToStderr = true);
    void append(const QString &line, LogLevel level = LogLevel::Info);
    QStringList recent(int maxLines = 500) const;
    // The lines after id `after` at level minLevel or above, oldest first, at most maxLines.
    QList<LogLine> since(qint64 after, LogLevel minLevel, int maxLines = 1000) const;
    void setCapacity(int lines);
    void setMinimumLevel(LogLevel level);
    // Also writes every line to file (null: stop). The file is shared with whoever set it.
    void setFile(std::shared_ptr<RotatingLogFile> file);
    // Stops writing to file if it is the one set (a server stopping must not end another one's log file).
    void releaseFile(const RotatingLogFile *file);

Q_SIGNALS:
    void lineAppended(const QString &line);

private:
    LogBuffer() = default;
    mutable QMutex mutex_;
    std::deque<LogLine> lines_;
    qint64 nextId_ = 1;
    int capacity_ = 2000;
    bool echo_ = true;
    std::atomic<LogLevel> minLevel_{LogLevel::Debug}; // read by the handler without the lock
    std::shared_ptr<RotatingLogFile> file_;
    friend void logMessageHandler(QtMsgType, const QMessageLogContext &, const QString &);
};

} // namespace smartbot
