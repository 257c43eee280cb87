#include "core/config_file.h"

#include <QFile>
#include <QSaveFile>
#include <QStringList>

namespace smartbot {

namespace {
bool isComment(const QString &trimmed)
{
    return trimmed.startsWith(QLatin1Char(';')) || trimmed.startsWith(QLatin1Char('#'));
}

// The value after '=': a quoted value up to its closing quote (escapes resolved), else up to a ';' comment.
QString readValue(const QString &raw)
{
    const QString text = raw.trimmed();
    if (text.startsWith(QLatin1Char('"'))) {
        QString out;
        for (qsizetype i = 1; i < text.size(); ++i) {
            const QChar c = text.at(i);
            if (c == QLatin1Char('"'))
                return out;
            if (c == QLatin1Char('\\') && i + 1 < text.size())
                out += text.at(++i);
            else
                out += c;
        }
        return out; // no closing quote: what there is
    }
    const qsizetype comment = text.indexOf(QLatin1Char(';'));
    return (comment < 0 ? text : text.left(comment)).trimmed();
}

// How a value is written so that readValue() gives it back: bare when it can be, else quoted.
QString writtenValue(const QString &value)
{
    const bool bare = value == value.trimmed() && !value.contains(QLatin1Char(';')) &&
                      !value.startsWith(QLatin1Char('"')) && !value.contains(QLatin1Char('\n'));
    if (bare)
        return value;
    QString quoted = value;
    quoted.replace(QLatin1Char('\\'), QLatin1String("\\\\")).replace(QLatin1Char('"'), QLatin1String("\\\""));
    quoted.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}
} // namespace

ConfigFile::Line ConfigFile::parseLine(const QString &text, const QString &section)
{
    Line line{text, section, {}, {}};
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty() || isComment(trimmed))
        return line;
    if (trimmed.startsWith(QLatin1Char('[')) && trimmed.contains(QLatin1Char(']'))) {
        line.section = trimmed.mid(1, trimmed.indexOf(QLatin1Char(']')) - 1).trimmed();
        if (line.section.compare(QLatin1String("General"), Qt::CaseInsensitive) == 0)
            line.section.clear(); // QSettings' name for keys outside any section
        return line;
    }
    const qsizetype eq = trimmed.indexOf(QLatin1Char('='));
    if (eq <= 0) {
        line.malformed = true;
        return line;
    }
    line.key = trimmed.left(eq).trimmed();
    line.value = readValue(trimmed.mid(eq + 1));
    return line;
}

ConfigFile ConfigFile::fromText(const QString &text)
{
    ConfigFile file;
    QString section;
    QStringList rows = text.split(QLatin1Char('\n'));
    if (!rows.isEmpty() && rows.last().isEmpty())
        rows.removeLast();            // the final newline
    for (const QString &row : rows) { // a CRLF line keeps its CR: written back as it was, trimmed when parsed
        Line line = parseLine(row, section);
        section = line.section;
        file.lines_.push_back(std::move(line));
    }
    return file;
}

Result<ConfigFile> ConfigFile::read(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return makeError("cannot read " + path.toStdString() + ": " + f.errorString().toStdString());
    return fromText(QString::fromUtf8(f.readAll()));
}

QString ConfigFile::text() const
{
    QString out;
    for (const Line &line : lines_)
        out += line.text + QLatin1Char('\n');
    return out;
}

QString ConfigFile::problem() const
{
    for (size_t i = 0; i < lines_.size(); ++i)
        if (lines_[i].malformed)
            return QStringLiteral("line %1: '%2'").arg(i + 1).arg(lines_[i].text.trimmed().left(80));
    return {};
}

bool ConfigFile::contains(const QString &section, const QString &key) const
{
    for (const Line &line : lines_)
        if (line.section == section && line.key == key)
            return true;
    return false;
}

QString ConfigFile::value(const QString &section, const QString &key) const
{
    QString found;
    for (const Line &line : lines_)
        if (line.section == section && line.key == key)
            found = line.value;
    return found;
}

QStringList ConfigFile::keys() const
{
    QStringList out;
    for (const Line &line : lines_)
        if (!line.key.isEmpty() && !out.contains(line.section + QLatin1Char('/') + line.key))
            out << line.section + QLatin1Char('/') + line.key;
    return out;
}

void ConfigFile::setValue(const QString &section, const QString &key, const QString &value)
{
    const QString text = key + QStringLiteral(" = ") + writtenValue(value);
    bool replaced = false;
    qsizetype lastInSection = -1;
    bool sectionSeen = section.isEmpty();
    for (qsizetype i = 0; i < qsizetype(lines_.size()); ++i) {
        Line &line = lines_[size_t(i)];
        if (line.section != section)
            continue;
        sectionSeen = true;
        if (!line.key.isEmpty())
            lastInSection = i;
        if (line.key == key) {
            line = parseLine(text, section);
            replaced = true;
        }
    }
    if (replaced)
        return;
    if (lastInSection < 0 && section.isEmpty()) {
        lines_.insert(lines_.begin(), parseLine(text, section));
        return;
    }
    if (lastInSection >= 0) {
        lines_.insert(lines_.begin() + lastInSection + 1, parseLine(text, section));
        return;
    }
    if (sectionSeen) { // a section with no keys yet: right after its header
        for (size_t i = 0; i < lines_.size(); ++i)
            if (lines_[i].section == section) {
                lines_.insert(lines_.begin() + qsizetype(i) + 1, parseLine(text, section));
                return;
            }
    }
    if (!lines_.empty() && !lines_.back().text.trimmed().isEmpty())
        lines_.push_back(parseLine(QString(), lines_.back().section));
    lines_.push_back(parseLine(QLatin1Char('[') + section + QLatin1Char(']'), QString()));
    lines_.push_back(parseLine(text, section));
}

bool ConfigFile::removeSection(const QString &section)
{
    const auto isHeader = [](const Line &l) {
        return l.key.isEmpty() && l.text.trimmed().startsWith(QLatin1Char('['));
    };
    bool removed = false;
    for (size_t i = 0; i < lines_.size(); ++i) {
        if (!isHeader(lines_[i]) || lines_[i].section != section || section.isEmpty())
            continue;
        size_t end = i + 1;
        while (end < lines_.size() && !isHeader(lines_[end]))
            ++end;
        // A comment block right before the next header belongs to that section: keep it (and the blank before it).
        size_t keepFrom = end;
        if (end < lines_.size()) {
            size_t j = end;
            while (j > i + 1 && lines_[j - 1].key.isEmpty() && !lines_[j - 1].malformed &&
                   isComment(lines_[j - 1].text.trimmed()))
                --j;
            while (j > i + 1 && j < end && lines_[j - 1].text.trimmed().isEmpty())
                --j;
            keepFrom = j;
        }
        // The comment block right above the header describes this section: it goes too. So do the blank lines that
        // separated the section from the one before when nothing follows, or when a blank line follows anyway.
        size_t start = i;
        while (start > 0 && lines_[start - 1].key.isEmpty() && !lines_[start - 1].malformed &&
               isComment(lines_[start - 1].text.trimmed()))
            --start;
        const bool blankAfter = keepFrom < lines_.size() && lines_[keepFrom].text.trimmed().isEmpty();
        if (keepFrom == lines_.size() || blankAfter)
            while (start > 0 && lines_[start - 1].text.trimmed().isEmpty())
                --start;
        lines_.erase(lines_.begin() + qsizetype(start), lines_.begin() + qsizetype(keepFrom));
        // The kept lines were parsed as part of the removed section; they now follow the section before the header.
        const QString before = start > 0 ? lines_[start - 1].section : QString();
        for (size_t k = start; k < lines_.size() && !isHeader(lines_[k]); ++k)
            lines_[k].section = before;
        i = start == 0 ? size_t(-1) : start - 1; // look again from here (the for loop's ++ comes next)
        removed = true;
    }
    return removed;
}

Result<void> ConfigFile::write(const QString &path) const
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text().toUtf8()) < 0 ||
        !f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner) || !f.commit())
        return makeError("cannot write " + path.toStdString() + ": " + f.errorString().toStdString());
    return {};
}

} // namespace smartbot
