#include "app/keys_panel.h"

#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QEvent>
#include <QFormLayout>
#include <QGroupBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "app/panel_text.h"
#include "app/providers_group.h"
#include "core/api_keys.h"
#include "core/audit_log.h"
#include "http/auth/authenticator.h"
#include "http/server/smartbot_server.h"

namespace smartbot::gui {

namespace {

enum Column { Name, Prefix, Scope, State, Allow, Limits, Created, LastUsed, Expires, ColumnCount };

// Column titles, untranslated (translated in retranslateUi in KeysPanel's context).
const char *const kColumnTitles[ColumnCount] = {
    QT_TRANSLATE_NOOP("smartbot::gui::KeysPanel", "Name"),
    QT_TRANSLATE_NOOP("smartbot::gui::KeysPanel", "Prefix"),
    QT_TRANSLATE_NOOP("smartbot::gui::KeysPanel", "Scope"),
    QT_TRANSLATE_NOOP("smartbot::gui::KeysPanel", "State"),
    QT_TRANSLATE_NOOP("smartbot::gui::KeysPanel", "Allowed from"),
    QT_TRANSLATE_NOOP("smartbot::gui::KeysPanel", "Limits"),
    QT_TRANSLATE_NOOP("smartbot::gui::KeysPanel", "Created"),
    QT_TRANSLATE_NOOP("smartbot::gui::KeysPanel", "Last used"),
    QT_TRANSLATE_NOOP("smartbot::gui::KeysPanel", "Expires"),
};

} // namespace

KeysPanel::KeysPanel(http::SmartbotServer *server, QWidget *parent) : QWidget(parent), server_(server)
{
    notice_ = new QLabel(this);
    notice_->setObjectName(QStringLiteral("keysNotice"));
    notice_->setWordWrap(true);

    filterEdit_ = new QLineEdit(this);
    filterEdit_->setObjectName(QStringLiteral("keyFilterEdit"));
    filterEdit_->setClearButtonEnabled(true);
    connect(filterEdit_, &QLineEdit::textChanged, this, &KeysPanel::applyFilter);

    table_ = new QTableWidget(0, ColumnCount, this);
    table_->setObjectName(QStringLiteral("keysTable"));
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->setVisible(false);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setSortingEnabled(false);

    revokeButton_ = new QPushButton(this);
    revokeButton_->setObjectName(QStringLiteral("revokeKeyButton"));
    rotateButton_ = new QPushButton(this);
    rotateButton_->setObjectName(QStringLiteral("rotateKeyButton"));
    connect(revokeButton_, &QPushButton::clicked, this, &KeysPanel::revokeSelected);
    connect(rotateButton_, &QPushButton::clicked, this, &KeysPanel::rotateSelected);
    connect(table_, &QTableWidget::itemSelectionChanged, this, [this] {
        const bool any = !selectedPrefix().isEmpty();
        revokeButton_->setEnabled(any);
        rotateButton_->setEnabled(any);
    });

    // The create form.
    nameEdit_ = new QLineEdit(this);
    nameEdit_->setObjectName(QStringLiteral("keyNameEdit"));
    scopeCombo_ = new QComboBox(this);
    scopeCombo_->setObjectName(QStringLiteral("keyScopeCombo"));
    scopeCombo_->addItem(QStringLiteral("chat"), QStringLiteral("chat"));
    scopeCombo_->addItem(QStringLiteral("admin"), QStringLiteral("admin"));
    expiresSpin_ = new QSpinBox(this);
    expiresSpin_->setObjectName(QStringLiteral("keyExpiresSpin"));
    expiresSpin_->setRange(0, 3650);
    allowEdit_ = new QLineEdit(this);
    allowEdit_->setObjectName(QStringLiteral("keyAllowEdit"));
    createButton_ = new QPushButton(this);
    createButton_->setObjectName(QStringLiteral("createKeyButton"));
    connect(createButton_, &QPushButton::clicked, this, &KeysPanel::createKey);
    connect(nameEdit_, &QLineEdit::returnPressed, this, &KeysPanel::createKey);
    nameLabel_ = new QLabel(this);
    scopeLabel_ = new QLabel(this);
    expiresLabel_ = new QLabel(this);
    allowLabel_ = new QLabel(this);
    createGroup_ = new QGroupBox(this);
    createGroup_->setObjectName(QStringLiteral("createKeyGroup"));
    auto *form = new QFormLayout(createGroup_);
    form->addRow(nameLabel_, nameEdit_);
    form->addRow(scopeLabel_, scopeCombo_);
    form->addRow(expiresLabel_, expiresSpin_);
    form->addRow(allowLabel_, allowEdit_);
    form->addRow(QString(), createButton_);

    // The new key, shown once.
    newKeyLabel_ = new QLabel(this);
    newKeyLabel_->setObjectName(QStringLiteral("newKeyLabel"));
    newKeyLabel_->setWordWrap(true);
    newKeyEdit_ = new QLineEdit(this);
    newKeyEdit_->setObjectName(QStringLiteral("newKeyEdit"));
    newKeyEdit_->setReadOnly(true);
    copyKeyButton_ = new QPushButton(this);
    copyKeyButton_->setObjectName(QStringLiteral("copyKeyButton"));
    connect(copyKeyButton_, &QPushButton::clicked, this, [this] {
        QGuiApplication::clipboard()->setText(newKeyEdit_->text());
        Q_EMIT statusMessage(tr("Key copied to the clipboard"));
    });
    auto *newKeyRow = new QHBoxLayout;
    newKeyRow->addWidget(newKeyEdit_, 1);
    newKeyRow->addWidget(copyKeyButton_);
    newKeyLabel_->hide();
    newKeyEdit_->hide();
    copyKeyButton_->hide();

    auto *top = new QHBoxLayout;
    top->addWidget(filterEdit_, 1);
    top->addWidget(rotateButton_);
    top->addWidget(revokeButton_);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(notice_);
    layout->addLayout(top);
    layout->addWidget(table_, 1);
    layout->addWidget(createGroup_);
    layout->addWidget(newKeyLabel_);
    layout->addLayout(newKeyRow);
    providers_ = new ProvidersGroup(server_, this);
    connect(providers_, &ProvidersGroup::statusMessage, this, &KeysPanel::statusMessage);
    layout->addWidget(providers_);

    connect(server_, &http::SmartbotServer::runningChanged, this, &KeysPanel::refresh);
    retranslateUi();
    refresh();
}

void KeysPanel::setConfigDir(const QString &dir)
{
    providers_->setConfigDir(dir);
}

void KeysPanel::refresh()
{
    http::Authenticator *auth = server_->authenticator();
    const bool running = auth != nullptr;
    notice_->setVisible(!running);
    for (QWidget *w : {static_cast<QWidget *>(table_), static_cast<QWidget *>(filterEdit_),
                       static_cast<QWidget *>(createButton_), static_cast<QWidget *>(nameEdit_)})
        w->setEnabled(running);
    revokeButton_->setEnabled(false);
    rotateButton_->setEnabled(false);
    table_->setRowCount(0);
    if (!running)
        return;
    auto keys = auth->keys().list();
    if (!keys) {
        notice_->setText(tr("Cannot read the keys: %1").arg(QString::fromStdString(keys.error())));
        notice_->show();
        return;
    }
    table_->setRowCount(int(keys->size()));
    int row = 0;
    for (const ApiKeyInfo &k : keys.value()) {
        const auto limit = [this](int v) { return v < 0 ? tr("default") : QString::number(v); };
        const bool defaultLimits = k.requestsPerMinute < 0 && k.tokensPerMinute < 0;
        const QString cells[ColumnCount] = {
            k.name,
            k.prefix,
            k.scope,
            stateText(k),
            k.allow.isEmpty() ? tr("any address") : k.allow,
            defaultLimits ? tr("default")
                          : tr("%1 req/min, %2 tokens/min").arg(limit(k.requestsPerMinute), limit(k.tokensPerMinute)),
            timeText(k.createdAt, QString()),
            timeText(k.lastUsedAt, tr("never", "not used yet")),
            timeText(k.expiresAt, tr("never")),
        };
        for (int c = 0; c < ColumnCount; ++c)
            table_->setItem(row, c, new QTableWidgetItem(cells[c]));
        ++row;
    }
    table_->resizeColumnsToContents();
    applyFilter();
}

QString KeysPanel::stateText(const ApiKeyInfo &k) const
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (k.revokedAt > 0 && k.revokedAt <= now)
        return tr("revoked");
    if (k.revokedAt > now)
        return tr("rotated, valid until %1").arg(timeText(k.revokedAt, QString()));
    if (k.expiresAt > 0 && k.expiresAt <= now)
        return tr("expired");
    return k.rotationDue ? tr("active, rotation due") : tr("active");
}

void KeysPanel::applyFilter()
{
    filterRows(table_, filterEdit_->text().trimmed());
}

QString KeysPanel::selectedPrefix() const
{
    const auto rows = table_->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    return table_->item(rows.first().row(), Prefix)->text();
}

void KeysPanel::audit(const QString &action, const QString &detail) const
{
    auditGuiAction(server_, action, detail);
}

void KeysPanel::createKey()
{
    http::Authenticator *auth = server_->authenticator();
    if (!auth)
        return;
    NewKeyOptions o;
    o.name = nameEdit_->text().trimmed();
    o.scope = scopeCombo_->currentData().toString();
    o.expiresDays = expiresSpin_->value();
    o.allow = allowEdit_->text().trimmed();
    auto created = auth->keys().create(o);
    if (!created) {
        Q_EMIT statusMessage(tr("Key not created: %1").arg(QString::fromStdString(created.error())));
        return;
    }
    audit(QStringLiteral("key.create"),
          QStringLiteral("%1 (%2) scope %3").arg(created->info.name, created->info.prefix, created->info.scope));
    nameEdit_->clear();
    showNewKey(created.value(), tr("New key \"%1\": copy it now, it is not shown again.").arg(created->info.name));
    refresh();
}

void KeysPanel::revokeSelected()
{
    http::Authenticator *auth = server_->authenticator();
    const QString prefix = selectedPrefix();
    if (!auth || prefix.isEmpty())
        return;
    auto revoked = auth->keys().revoke(prefix);
    if (!revoked) {
        Q_EMIT statusMessage(tr("Key not revoked: %1").arg(QString::fromStdString(revoked.error())));
        return;
    }
    audit(QStringLiteral("key.revoke"), QStringLiteral("%1 (%2)").arg(revoked->name, revoked->prefix));
    Q_EMIT statusMessage(tr("Key %1 revoked").arg(revoked->prefix));
    refresh();
}

void KeysPanel::rotateSelected()
{
    http::Authenticator *auth = server_->authenticator();
    const QString prefix = selectedPrefix();
    if (!auth || prefix.isEmpty())
        return;
    const int grace = auth->config().keyRotationGraceHours;
    auto created = auth->keys().rotate(prefix, grace);
    if (!created) {
        Q_EMIT statusMessage(tr("Key not rotated: %1").arg(QString::fromStdString(created.error())));
        return;
    }
    audit(QStringLiteral("key.rotate"),
          QStringLiteral("%1 -> %2 (grace %3 h)").arg(prefix, created->info.prefix).arg(grace));
    showNewKey(created.value(),
               tr("Key %1 replaced by a new one; the old key stays valid for %2 hours. Copy the new key now, it is not "
                  "shown again.")
                   .arg(prefix)
                   .arg(grace));
    refresh();
}

void KeysPanel::showNewKey(const CreatedKey &created, const QString &what)
{
    newKeyLabel_->setText(what);
    newKeyEdit_->setText(QString::fromLatin1(created.key));
    newKeyLabel_->show();
    newKeyEdit_->show();
    copyKeyButton_->show();
    Q_EMIT statusMessage(tr("Key %1 created").arg(created.info.prefix));
}

void KeysPanel::showEvent(QShowEvent *event)
{
    refresh();
    QWidget::showEvent(event);
}

void KeysPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange) {
        retranslateUi();
        refresh();
    }
    QWidget::changeEvent(event);
}

void KeysPanel::retranslateUi()
{
    notice_->setText(tr("Start the server to manage its API keys."));
    filterEdit_->setPlaceholderText(tr("Filter keys"));
    QStringList titles;
    for (const char *t : kColumnTitles)
        titles << tr(t);
    table_->setHorizontalHeaderLabels(titles);
    revokeButton_->setText(tr("Revoke"));
    rotateButton_->setText(tr("Rotate"));
    createGroup_->setTitle(tr("New key"));
    nameLabel_->setText(tr("Name:"));
    scopeLabel_->setText(tr("Scope:"));
    expiresLabel_->setText(tr("Expires after (days):"));
    expiresSpin_->setSpecialValueText(tr("never"));
    allowLabel_->setText(tr("Allowed from:"));
    allowEdit_->setPlaceholderText(tr("Any address; or e.g. 192.168.1.0/24, 10.0.0.5"));
    createButton_->setText(tr("Create key"));
    copyKeyButton_->setText(tr("Copy"));
}

} // namespace smartbot::gui
