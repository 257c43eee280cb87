#include "app/log_panel.h"

#include <QDesktopServices>
#include <QDir>
#include <QUrl>

#include "core/server_config.h"

#include <QCheckBox>
#include <QSaveFile>
#include <QLineEdit>
#include <QFileDialog>
#include <QDir>
#include <QComboBox>
#include <QEvent>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTextCursor>
#include <QVBoxLayout>

#include <algorithm>

#include "core/log_buffer.h"

namespace smartbot::gui {

LogPanel::LogPanel(QWidget *parent) : QWidget(parent)
{
    view_ = new QPlainTextEdit(this);
    view_->setObjectName(QStringLiteral("logView"));
    view_->setReadOnly(true);
    view_->setMaximumBlockCount(kMaxLines);
    view_->setLineWrapMode(QPlainTextEdit::NoWrap);
    view_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    followCheck_ = new QCheckBox(this);
    followCheck_->setObjectName(QStringLiteral("followCheck"));
    followCheck_->setChecked(true);
    clearButton_ = new QPushButton(this);
    clearButton_->setObjectName(QStringLiteral("clearLogButton"));
    connect(clearButton_, &QPushButton::clicked, this, &LogPanel::clear);
    levelCombo_ = new QComboBox(this);
    levelCombo_->setObjectName(QStringLiteral("logLevelCombo"));
    levelCombo_->addItems({QString(), QString(), QString()}); // texts in retranslateUi
    connect(levelCombo_, &QComboBox::currentIndexChanged, this, &LogPanel::refilter);
    searchEdit_ = new QLineEdit(this);
    searchEdit_->setObjectName(QStringLiteral("logSearchEdit"));
    searchEdit_->setClearButtonEnabled(true);
    connect(searchEdit_, &QLineEdit::textChanged, this, &LogPanel::refilter);
    exportButton_ = new QPushButton(this);
    exportButton_->setObjectName(QStringLiteral("exportLogButton"));
    connect(exportButton_, &QPushButton::clicked, this, &LogPanel::exportWithDialog);

    auto *filters = new QHBoxLayout;
    filters->addWidget(levelCombo_);
    filters->addWidget(searchEdit_, 1);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(followCheck_);
    buttons->addStretch(1);
    buttons->addWidget(exportButton_);
    folderButton_ = new QPushButton(this);
    folderButton_->setObjectName(QStringLiteral("openLogFolderButton"));
    folderButton_->setEnabled(false);
    connect(folderButton_, &QPushButton::clicked, this,
            [this] { QDesktopServices::openUrl(QUrl::fromLocalFile(logDir_)); });
    buttons->addWidget(folderButton_);
    buttons->addWidget(clearButton_);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(filters);
    layout->addWidget(view_, 1);
    layout->addLayout(buttons);

    // Lines may be logged on any thread: queue them to this (GUI) thread. Connect before reading the backlog so
    // nothing logged in between is lost (at worst a line shows twice).
    LogBuffer &log = LogBuffer::instance();
    connect(&log, &LogBuffer::lineAppended, this, &LogPanel::appendLine, Qt::QueuedConnection);
    lines_ = log.recent(kMaxLines);
    retranslateUi();
    refilter();
}

void LogPanel::appendLine(const QString &line)
{
    QScrollBar *bar = view_->verticalScrollBar();
    const int keep = bar->value();
    const int keepSideways = view_->horizontalScrollBar()->value();
    lines_.push_back(line);
    if (lines_.size() > kMaxLines)
        lines_.removeFirst();
    if (!matches(line))
        return;
    view_->appendPlainText(line);
    if (followCheck_->isChecked()) {
        showNewest();
    } else {
        bar->setValue(keep);
        view_->horizontalScrollBar()->setValue(keepSideways);
    }
}

void LogPanel::showNewest()
{
    // The cursor at the start of the newest line: appendPlainText leaves it at the end, and the view scrolls to it
    // sideways (now, or when the panel is next shown); lines are read from their start.
    QTextCursor start = view_->textCursor();
    start.movePosition(QTextCursor::End);
    start.movePosition(QTextCursor::StartOfBlock);
    view_->setTextCursor(start);
    view_->verticalScrollBar()->setValue(view_->verticalScrollBar()->maximum());
    view_->horizontalScrollBar()->setValue(0);
}

void LogPanel::clear()
{
    lines_.clear();
    view_->clear();
}

bool LogPanel::matches(const QString &line) const
{
    // Lines read "<time> <LEVEL> <message>" (core/log_buffer.cpp).
    static const QStringList kWarningsUp = {QStringLiteral(" WARN "), QStringLiteral(" ERROR "),
                                            QStringLiteral(" FATAL ")};
    static const QStringList kErrorsUp = {QStringLiteral(" ERROR "), QStringLiteral(" FATAL ")};
    const QString head = line.left(line.indexOf(QLatin1Char(' '), line.indexOf(QLatin1Char(' ')) + 1) + 1);
    const auto hasLevel = [&head](const QStringList &levels) {
        return std::any_of(levels.begin(), levels.end(), [&head](const QString &l) { return head.endsWith(l); });
    };
    switch (levelCombo_->currentIndex()) {
    case 1:
        if (!hasLevel(kWarningsUp))
            return false;
        break;
    case 2:
        if (!hasLevel(kErrorsUp))
            return false;
        break;
    default:
        break;
    }
    const QString needle = searchEdit_->text().trimmed();
    return needle.isEmpty() || line.contains(needle, Qt::CaseInsensitive);
}

void LogPanel::refilter()
{
    QStringList shown;
    for (const QString &line : lines_)
        if (matches(line))
            shown << line;
    view_->setPlainText(shown.join(QLatin1Char('\n')));
    showNewest();
}

bool LogPanel::exportTo(const QString &path)
{
    QSaveFile file(path);
    const QByteArray text = view_->toPlainText().toUtf8() + '\n';
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size() || !file.commit()) {
        Q_EMIT statusMessage(tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
        return false;
    }
    Q_EMIT statusMessage(tr("Log exported to %1").arg(QDir::toNativeSeparators(path)));
    return true;
}

void LogPanel::exportWithDialog()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export the log"), QStringLiteral("smartbot.log"),
                                                      tr("Log files (*.log *.txt)"));
    if (!path.isEmpty())
        exportTo(path);
}

void LogPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslateUi();
    QWidget::changeEvent(event);
}

void LogPanel::retranslateUi()
{
    followCheck_->setText(tr("Follow new lines"));
    clearButton_->setText(tr("Clear"));
    exportButton_->setText(tr("Export…"));
    folderButton_->setText(tr("Open log folder"));
    folderButton_->setToolTip(logDir_.isEmpty() ? tr("No log file: [logging] dir = none, or no config folder")
                                                : QDir::toNativeSeparators(logDir_));
    searchEdit_->setPlaceholderText(tr("Search the log"));
    levelCombo_->setItemText(0, tr("All levels"));
    levelCombo_->setItemText(1, tr("Warnings and errors"));
    levelCombo_->setItemText(2, tr("Errors only"));
}

void LogPanel::setConfigDir(const QString &dir)
{
    logDir_.clear();
    if (!dir.isEmpty()) {
        auto config = ServerConfig::readOrDefaults(QDir::fromNativeSeparators(dir));
        if (config)
            logDir_ = config->logDir;
    }
    folderButton_->setEnabled(!logDir_.isEmpty());
    retranslateUi();
}

} // namespace smartbot::gui
