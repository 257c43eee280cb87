#include "app/audit_panel.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include "app/panel_text.h"
#include "core/audit_log.h"
#include "core/usage_store.h"
#include "http/auth/authenticator.h"
#include "http/server/smartbot_server.h"

namespace smartbot::gui {

namespace {

const char *const kAuditTitles[] = {
    QT_TRANSLATE_NOOP("smartbot::gui::AuditPanel", "Time"),   QT_TRANSLATE_NOOP("smartbot::gui::AuditPanel", "Who"),
    QT_TRANSLATE_NOOP("smartbot::gui::AuditPanel", "From"),   QT_TRANSLATE_NOOP("smartbot::gui::AuditPanel", "Action"),
    QT_TRANSLATE_NOOP("smartbot::gui::AuditPanel", "Detail"),
};
const char *const kUsageTitles[] = {
    QT_TRANSLATE_NOOP("smartbot::gui::AuditPanel", "Key or user"),
    QT_TRANSLATE_NOOP("smartbot::gui::AuditPanel", "Requests"),
    QT_TRANSLATE_NOOP("smartbot::gui::AuditPanel", "Prompt tokens"),
    QT_TRANSLATE_NOOP("smartbot::gui::AuditPanel", "Generated tokens"),
    QT_TRANSLATE_NOOP("smartbot::gui::AuditPanel", "Last request"),
};

QTableWidget *makeTable(int columns, const char *name, QWidget *parent)
{
    auto *t = new QTableWidget(0, columns, parent);
    t->setObjectName(QLatin1String(name));
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->verticalHeader()->setVisible(false);
    t->horizontalHeader()->setStretchLastSection(true);
    return t;
}

void fillRow(QTableWidget *table, int row, const QStringList &cells)
{
    for (int c = 0; c < cells.size(); ++c) {
        auto *item = new QTableWidgetItem(cells[c]);
        table->setItem(row, c, item);
    }
}

} // namespace

AuditPanel::AuditPanel(http::SmartbotServer *server, QWidget *parent) : QWidget(parent), server_(server)
{
    notice_ = new QLabel(this);
    notice_->setObjectName(QStringLiteral("auditNotice"));
    notice_->setWordWrap(true);
    filterEdit_ = new QLineEdit(this);
    filterEdit_->setObjectName(QStringLiteral("auditFilterEdit"));
    filterEdit_->setClearButtonEnabled(true);
    connect(filterEdit_, &QLineEdit::textChanged, this, &AuditPanel::applyFilter);
    limitLabel_ = new QLabel(this);
    limitSpin_ = new QSpinBox(this);
    limitSpin_->setObjectName(QStringLiteral("auditLimitSpin"));
    constexpr int kMaxEntries = 100000;
    constexpr int kDefaultEntries = 500;
    limitSpin_->setRange(1, kMaxEntries);
    limitSpin_->setValue(kDefaultEntries);
    refreshButton_ = new QPushButton(this);
    refreshButton_->setObjectName(QStringLiteral("auditRefreshButton"));
    connect(refreshButton_, &QPushButton::clicked, this, &AuditPanel::refresh);

    auditLabel_ = new QLabel(this);
    auditTable_ = makeTable(int(std::size(kAuditTitles)), "auditTable", this);
    usageLabel_ = new QLabel(this);
    usageTable_ = makeTable(int(std::size(kUsageTitles)), "usageTable", this);

    auto *top = new QHBoxLayout;
    top->addWidget(filterEdit_, 1);
    top->addWidget(limitLabel_);
    top->addWidget(limitSpin_);
    top->addWidget(refreshButton_);
    auto *auditBox = new QWidget(this);
    auto *auditLayout = new QVBoxLayout(auditBox);
    auditLayout->setContentsMargins(0, 0, 0, 0);
    auditLayout->addWidget(auditLabel_);
    auditLayout->addWidget(auditTable_, 1);
    auto *usageBox = new QWidget(this);
    auto *usageLayout = new QVBoxLayout(usageBox);
    usageLayout->setContentsMargins(0, 0, 0, 0);
    usageLayout->addWidget(usageLabel_);
    usageLayout->addWidget(usageTable_, 1);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(auditBox);
    split->addWidget(usageBox);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(notice_);
    layout->addLayout(top);
    layout->addWidget(split, 1);

    connect(server_, &http::SmartbotServer::runningChanged, this, &AuditPanel::refresh);
    retranslateUi();
    refresh();
}

void AuditPanel::refresh()
{
    http::Authenticator *auth = server_->authenticator();
    const bool running = auth != nullptr;
    notice_->setVisible(!running);
    for (QWidget *w : {static_cast<QWidget *>(filterEdit_), static_cast<QWidget *>(refreshButton_),
                       static_cast<QWidget *>(auditTable_), static_cast<QWidget *>(usageTable_)})
        w->setEnabled(running);
    auditTable_->setRowCount(0);
    usageTable_->setRowCount(0);
    if (!running)
        return;
    if (auto entries = auth->auditLog().list(limitSpin_->value()); entries) {
        auditTable_->setRowCount(int(entries->size()));
        int row = 0;
        for (const AuditEntry &e : entries.value())
            fillRow(auditTable_, row++, {timeText(e.at), e.actor, e.address, e.action, e.detail});
    } else {
        notice_->setText(tr("Cannot read the audit log: %1").arg(QString::fromStdString(entries.error())));
        notice_->show();
    }
    if (auto rows = auth->usage().list(); rows) {
        usageTable_->setRowCount(int(rows->size()));
        int row = 0;
        for (const UsageRow &u : rows.value())
            fillRow(usageTable_, row++,
                    {u.subject, QString::number(u.requests), QString::number(u.promptTokens),
                     QString::number(u.generatedTokens), timeText(u.lastAt, tr("never", "not used yet"))});
    }
    auditTable_->resizeColumnsToContents();
    usageTable_->resizeColumnsToContents();
    applyFilter();
}

void AuditPanel::applyFilter()
{
    const QString needle = filterEdit_->text().trimmed();
    filterRows(auditTable_, needle);
    filterRows(usageTable_, needle);
}

void AuditPanel::showEvent(QShowEvent *event)
{
    refresh();
    QWidget::showEvent(event);
}

void AuditPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslateUi();
    QWidget::changeEvent(event);
}

void AuditPanel::retranslateUi()
{
    notice_->setText(tr("Start the server to read its audit log and usage."));
    filterEdit_->setPlaceholderText(tr("Filter by who, address, action or detail"));
    limitLabel_->setText(tr("Entries:"));
    refreshButton_->setText(tr("Refresh"));
    auditLabel_->setText(tr("Audit log (newest first)"));
    usageLabel_->setText(tr("Usage per key or user"));
    QStringList audit, usage;
    for (const char *t : kAuditTitles)
        audit << tr(t);
    for (const char *t : kUsageTitles)
        usage << tr(t);
    auditTable_->setHorizontalHeaderLabels(audit);
    usageTable_->setHorizontalHeaderLabels(usage);
}

} // namespace smartbot::gui
