#include "core/rotating_log_file.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QThread>
#include <QThreadPool>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace smartbot {

namespace {
constexpr qint64 kSecondsPerDay = 86400;
}

RotatingLogFile::RotatingLogFile(LogFileOptions options, Clock clock)
    : options_(std::move(options)), clock_(std::move(clock))
{
}

RotatingLogFile::~RotatingLogFile()
{
    waitForCompression();
    if (fd_ >= 0)
        ::close(fd_);
}

QString RotatingLogFile::path() const
{
    return QDir(options_.dir).filePath(options_.baseName + QStringLiteral(".log"));
}

Result<void> RotatingLogFile::open()
{
    QMutexLocker lock(&mutex_);
    return openLocked();
}

Result<void> RotatingLogFile::openLocked()
{
    const QByteArray dir = QFile::encodeName(options_.dir);
    if (!QFileInfo(options_.dir).isDir()) {
        if (!QDir().mkpath(QFileInfo(options_.dir).absolutePath()) || ::mkdir(dir.constData(), 0750) != 0)
            return makeError("cannot create the log folder " + options_.dir.toStdString());
        ::chmod(dir.constData(), 0750); // whatever the umask
    }
    const QByteArray file = QFile::encodeName(path());
    fd_ = ::open(file.constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0)
        return makeError("cannot open the log file " + path().toStdString());
    ::fchmod(fd_, 0640);
    struct stat st {};
    ::fstat(fd_, &st);
    size_ = qint64(st.st_size);
    // A file left from an earlier day is that day's: its modification time says which.
    day_ = (size_ > 0 ? qint64(st.st_mtime) : clock_()) / kSecondsPerDay;
    return {};
}

void RotatingLogFile::write(const QString &line)
{
    const QByteArray bytes = line.toUtf8() + '\n';
    QMutexLocker lock(&mutex_);
    if (fd_ < 0)
        return;
    const bool newDay = options_.daily && clock_() / kSecondsPerDay != day_;
    const bool full = options_.maxBytes > 0 && size_ > 0 && size_ + bytes.size() > options_.maxBytes;
    if (newDay || full)
        rotateLocked();
    if (fd_ < 0)
        return;
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd_, bytes.constData() + done, size_t(bytes.size() - done));
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return; // a full disk: the line is lost from the file (the ring buffer and stderr still have it)
        }
        done += n;
    }
    size_ += bytes.size();
}

void RotatingLogFile::rotateLocked()
{
    ::close(fd_);
    fd_ = -1;
    const QString stamp = QDateTime::fromSecsSinceEpoch(clock_(), Qt::UTC).toString(QStringLiteral("yyyyMMdd-HHmmss"));
    // A sequence number within the second, zero-padded, so that names sort in rotation order.
    QString rotated;
    for (int n = 1;
         rotated.isEmpty() || QFileInfo::exists(rotated) || QFileInfo::exists(rotated + QStringLiteral(".gz")); ++n)
        rotated =
            QDir(options_.dir)
                .filePath(QStringLiteral("%1-%2-%3.log").arg(options_.baseName, stamp).arg(n, 3, 10, QLatin1Char('0')));
    if (::rename(QFile::encodeName(path()).constData(), QFile::encodeName(rotated).constData()) == 0) {
        ++*pending_;
        QThreadPool::globalInstance()->start([rotated, options = options_, pending = pending_] {
            if (auto r = compressAndPrune(rotated, options.dir, options.baseName, options.keep); !r)
                std::fprintf(stderr, "log rotation: %s\n", r.error().c_str()); // not qWarning: we are the log
            --*pending;
        });
    }
    openLocked();
    day_ = clock_() / kSecondsPerDay;
}

void RotatingLogFile::waitForCompression() const
{
    while (*pending_ > 0)
        QThread::msleep(10);
}

Result<void> compressAndPrune(const QString &path, const QString &dir, const QString &baseName, int keep)
{
    const QString gzPath = path + QStringLiteral(".gz");
    QFile in(path);
    if (!in.open(QIODevice::ReadOnly))
        return makeError("cannot read " + path.toStdString());
    const QByteArray part = QFile::encodeName(gzPath + QStringLiteral(".part"));
    const int fd = ::open(part.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return makeError("cannot create " + gzPath.toStdString());
    ::fchmod(fd, 0640);
    gzFile gz = gzdopen(fd, "wb6");
    if (!gz) {
        ::close(fd);
        return makeError("cannot compress " + path.toStdString());
    }
    bool ok = true;
    while (ok && !in.atEnd()) {
        const QByteArray chunk = in.read(256 * 1024);
        ok = !chunk.isEmpty() && gzwrite(gz, chunk.constData(), unsigned(chunk.size())) == int(chunk.size());
    }
    ok = gzclose(gz) == Z_OK && ok;
    if (!ok || ::rename(part.constData(), QFile::encodeName(gzPath).constData()) != 0) {
        ::unlink(part.constData());
        return makeError("cannot compress " + path.toStdString() + " (disk full?)");
    }
    QFile::remove(path);
    // The names sort by time (yyyyMMdd-HHmmss): the oldest come first.
    QStringList rotated = QDir(dir).entryList({baseName + QStringLiteral("-*.log.gz")}, QDir::Files, QDir::Name);
    while (rotated.size() > keep)
        QFile::remove(QDir(dir).filePath(rotated.takeFirst()));
    return {};
}

} // namespace smartbot
