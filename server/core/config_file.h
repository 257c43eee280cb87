// ConfigFile: an INI file (server.conf) kept as its lines, so that the desktop app can change one value and write
// the file back with the operator's comments, order and blank lines intact (QSettings rewrites the whole file and
// drops every comment). It reads the forms server.conf uses the way QSettings reads them: "[section]",
// "key = value", a line starting with ';' or '#' is a comment, an unquoted value ends at ';', a value in double
// quotes is taken as written (\" and \\ escapes). A key given twice: the last one counts (as in QSettings).
// A plain value type: no I/O except read() and write(); not thread-safe (copy it instead).
#pragma once

#include <QString>
#include <QStringList>
#include <vector>

#include "smartbot/common/result.h"

namespace smartbot {

class ConfigFile {
public:
    static ConfigFile fromText(const QString &text);
    // Reads the file (UTF-8). An unreadable file is an error naming it.
    static Result<ConfigFile> read(const QString &path);

    QString text() const;
    // The first line that is neither blank, a comment, a [section] nor key = value ("line 12: 'port 80'"), or
    // "" when there is none. ServerConfig refuses such a file rather than guess what the line meant.
    QString problem() const;
    bool contains(const QString &section, const QString &key) const;
    QString value(const QString &section, const QString &key) const; // "" when absent
    // Every key set, as "section/key", in file order, each once.
    QStringList keys() const;
    // Replaces the value in place (every line that sets it); a new key goes after its section's last key, a new
    // section at the end. The value is quoted when it would not read back as written.
    void setValue(const QString &section, const QString &key, const QString &value);
    // Removes every [section] header and the lines under it, up to the next header, with the comment block right
    // above the header (it describes this section). Comment lines right before the next header stay (they describe
    // that one); so does everything else. False when absent.
    bool removeSection(const QString &section);
    // Atomically (QSaveFile), mode 0600 whatever the umask: server.conf names the secrets' files.
    Result<void> write(const QString &path) const;

private:
    struct Line {
        QString text;
        QString section; // the section this line is in ("" before the first one)
        QString key;     // empty: a comment, a blank line or a section header
        QString value;   // as read (unquoted, unescaped)
        bool malformed = false;
    };
    static Line parseLine(const QString &text, const QString &section);
    std::vector<Line> lines_;
};

} // namespace smartbot
