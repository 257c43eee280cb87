#include "app/log_panel.h"

#include <QCheckBox>
#include <QEvent>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTextCursor>
#include <QVBoxLayout>

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

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(followCheck_);
    buttons->addStretch(1);
    buttons->addWidget(clearButton_);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(view_, 1);
    layout->addLayout(buttons);

    // Lines may be logged on any thread: queue them to this (GUI) thread. Connect before reading the backlog so
    // nothing logged in between is lost (at worst a line shows twice).
    LogBuffer &log = LogBuffer::instance();
    connect(&log, &LogBuffer::lineAppended, this, &LogPanel::appendLine, Qt::QueuedConnection);
    const QStringList backlog = log.recent(kMaxLines);
    if (!backlog.isEmpty())
        view_->setPlainText(backlog.join(QLatin1Char('\n')));
    showNewest();
    retranslateUi();
}

void LogPanel::appendLine(const QString &line)
{
    QScrollBar *bar = view_->verticalScrollBar();
    const int keep = bar->value();
    const int keepSideways = view_->horizontalScrollBar()->value();
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
    view_->clear();
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
}

} // namespace smartbot::gui
