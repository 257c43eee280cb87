// LogBuffer: the process log. Installs a Qt message handler that writes timestamped lines to stderr and keeps
// the most recent lines in a ring buffer that the GUI (and later the API) reads. Thread-safe.
#pragma once

#include <QMutex>
#include <QObject>
#include <QStringList>
#include <deque>

namespace smartbot {

class LogBuffer : public QObject {
    Q_OBJECT
public:
    static LogBuffer &instance();
    // Routes qDebug/qInfo/qWarning/... here. echoToStderr: also print them (daemon and CLI).
    void install(bool echoToStderr = true);
    void append(const QString &line);
    QStringList recent(int maxLines = 500) const;
    void setCapacity(int lines);

Q_SIGNALS:
    void lineAppended(const QString &line);

private:
    LogBuffer() = default;
    mutable QMutex mutex_;
    std::deque<QString> lines_;
    int capacity_ = 2000;
    bool echo_ = true;
    friend void logMessageHandler(QtMsgType, const QMessageLogContext &, const QString &);
};

} // namespace smartbot
