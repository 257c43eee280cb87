#include "app/tokens_panel.h"

#include <QClipboard>
#include <QEvent>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTextDocument>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "app/panel_text.h"
#include "core/audit_log.h"
#include "core/token_ledger.h"
#include "http/auth/authenticator.h"
#include "http/server/smartbot_server.h"
#include "smartbot/common/units.h"

namespace smartbot::gui {

namespace {

enum Column { Subject, State, Expires, Issued, IssuedBy, Jti, ColumnCount };

const char *const kColumnTitles[ColumnCount] = {
    QT_TRANSLATE_NOOP("smartbot::gui::TokensPanel", "User"),
    QT_TRANSLATE_NOOP("smartbot::gui::TokensPanel", "State"),
    QT_TRANSLATE_NOOP("smartbot::gui::TokensPanel", "Expires"),
    QT_TRANSLATE_NOOP("smartbot::gui::TokensPanel", "Issued"),
    QT_TRANSLATE_NOOP("smartbot::gui::TokensPanel", "Issued by"),
    QT_TRANSLATE_NOOP("smartbot::gui::TokensPanel", "Token id (jti)"),
};

// The JSON body a shell can paste: single-quoted for the shell.
QString curlCommand(const QString &baseUrl, const QString &token)
{
    return QStringLiteral("curl -s %1/api/v1/chat \\\n  -H 'Authorization: Bearer %2' \\\n"
                          "  -H 'Content-Type: application/json' \\\n  -d '{\"message\": \"Hello\"}'")
        .arg(baseUrl, token);
}

} // namespace

TokensPanel::TokensPanel(http::SmartbotServer *server, QWidget *parent) : QWidget(parent), server_(server)
{
    notice_ = new QLabel(this);
    notice_->setObjectName(QStringLiteral("tokensNotice"));
    notice_->setWordWrap(true);

    userEdit_ = new QLineEdit(this);
    userEdit_->setObjectName(QStringLiteral("tokenUserEdit"));
    userEdit_->setMaxLength(int(TokenService::kMaxSubjectChars));
    hoursSpin_ = new QSpinBox(this);
    hoursSpin_->setObjectName(QStringLiteral("tokenHoursSpin"));
    hoursSpin_->setRange(1, 24 * 30);
    hoursSpin_->setValue(24);
    issueButton_ = new QPushButton(this);
    issueButton_->setObjectName(QStringLiteral("issueTokenButton"));
    connect(issueButton_, &QPushButton::clicked, this, &TokensPanel::issueToken);
    connect(userEdit_, &QLineEdit::returnPressed, this, &TokensPanel::issueToken);
    userLabel_ = new QLabel(this);
    hoursLabel_ = new QLabel(this);

    tokenLabel_ = new QLabel(this);
    tokenLabel_->setObjectName(QStringLiteral("newTokenLabel"));
    tokenLabel_->setWordWrap(true);
    tokenEdit_ = new QLineEdit(this);
    tokenEdit_->setObjectName(QStringLiteral("newTokenEdit"));
    tokenEdit_->setReadOnly(true);
    copyTokenButton_ = new QPushButton(this);
    copyTokenButton_->setObjectName(QStringLiteral("copyTokenButton"));
    connect(copyTokenButton_, &QPushButton::clicked, this,
            [this] { copy(tokenEdit_->text(), tr("Token copied to the clipboard")); });
    curlEdit_ = new QPlainTextEdit(this);
    curlEdit_->setObjectName(QStringLiteral("curlEdit"));
    curlEdit_->setReadOnly(true);
    curlEdit_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    curlEdit_->setLineWrapMode(QPlainTextEdit::NoWrap);
    curlEdit_->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // Its four lines, the frame and the horizontal scroll bar (long tokens scroll sideways).
    constexpr int kCurlLines = 4;
    curlEdit_->setFixedHeight(curlEdit_->fontMetrics().lineSpacing() * kCurlLines +
                              int(2 * curlEdit_->document()->documentMargin()) + 2 * curlEdit_->frameWidth() +
                              curlEdit_->horizontalScrollBar()->sizeHint().height());
    copyCurlButton_ = new QPushButton(this);
    copyCurlButton_->setObjectName(QStringLiteral("copyCurlButton"));
    connect(copyCurlButton_, &QPushButton::clicked, this,
            [this] { copy(curlEdit_->toPlainText(), tr("curl command copied to the clipboard")); });

    issueGroup_ = new QGroupBox(this);
    issueGroup_->setObjectName(QStringLiteral("issueTokenGroup"));
    auto *form = new QFormLayout;
    form->addRow(userLabel_, userEdit_);
    form->addRow(hoursLabel_, hoursSpin_);
    form->addRow(QString(), issueButton_);
    auto *tokenRow = new QHBoxLayout;
    tokenRow->addWidget(tokenEdit_, 1);
    tokenRow->addWidget(copyTokenButton_);
    auto *curlRow = new QHBoxLayout;
    curlRow->addWidget(curlEdit_, 1);
    curlRow->addWidget(copyCurlButton_, 0, Qt::AlignTop);
    auto *issueLayout = new QVBoxLayout(issueGroup_);
    issueLayout->addLayout(form);
    issueLayout->addWidget(tokenLabel_);
    issueLayout->addLayout(tokenRow);
    issueLayout->addLayout(curlRow);
    for (QWidget *w : {static_cast<QWidget *>(tokenLabel_), static_cast<QWidget *>(tokenEdit_),
                       static_cast<QWidget *>(copyTokenButton_), static_cast<QWidget *>(curlEdit_),
                       static_cast<QWidget *>(copyCurlButton_)})
        w->hide();

    validLabel_ = new QLabel(this);
    table_ = new QTableWidget(0, ColumnCount, this);
    table_->setObjectName(QStringLiteral("tokensTable"));
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->setVisible(false);
    table_->horizontalHeader()->setStretchLastSection(true);
    revokeButton_ = new QPushButton(this);
    revokeButton_->setObjectName(QStringLiteral("revokeTokenButton"));
    revokeButton_->setEnabled(false);
    connect(revokeButton_, &QPushButton::clicked, this, &TokensPanel::revokeSelected);
    connect(table_, &QTableWidget::itemSelectionChanged, this,
            [this] { revokeButton_->setEnabled(!table_->selectionModel()->selectedRows().isEmpty()); });

    rotateSecretButton_ = new QPushButton(this);
    rotateSecretButton_->setObjectName(QStringLiteral("rotateSecretButton"));
    connect(rotateSecretButton_, &QPushButton::clicked, this, [this] { rotateSigningSecret(true); });

    auto *listHeader = new QHBoxLayout;
    listHeader->addWidget(validLabel_, 1);
    listHeader->addWidget(rotateSecretButton_);
    listHeader->addWidget(revokeButton_);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(notice_);
    layout->addWidget(issueGroup_);
    layout->addLayout(listHeader);
    layout->addWidget(table_, 1);

    connect(server_, &http::SmartbotServer::runningChanged, this, &TokensPanel::refresh);
    retranslateUi();
    refresh();
}

void TokensPanel::refresh()
{
    http::Authenticator *auth = server_->authenticator();
    const bool running = auth != nullptr;
    notice_->setVisible(!running);
    issueGroup_->setEnabled(running);
    table_->setEnabled(running);
    revokeButton_->setEnabled(false);
    rotateSecretButton_->setEnabled(running);
    table_->setRowCount(0);
    if (!running) {
        tokenEdit_->clear(); // no token stays on screen once the server is gone
        curlEdit_->clear();
        return;
    }
    hoursSpin_->setMaximum(auth->config().maxTokenHours);
    auto tokens = auth->tokenLedger().listValid();
    if (!tokens) {
        notice_->setText(tr("Cannot read the tokens: %1").arg(QString::fromStdString(tokens.error())));
        notice_->show();
        return;
    }
    table_->setRowCount(int(tokens->size()));
    int row = 0;
    for (const LedgerEntry &t : tokens.value()) {
        const QString cells[ColumnCount] = {
            t.subject, t.revoked ? tr("revoked") : tr("valid"), timeText(t.expiresAt), timeText(t.issuedAt), t.issuer,
            t.jti,
        };
        for (int c = 0; c < ColumnCount; ++c)
            table_->setItem(row, c, new QTableWidgetItem(cells[c]));
        table_->item(row, Jti)->setData(Qt::UserRole, t.expiresAt);
        ++row;
    }
    table_->resizeColumnsToContents();
}

void TokensPanel::issueToken()
{
    http::Authenticator *auth = server_->authenticator();
    if (!auth)
        return;
    const QString user = userEdit_->text().trimmed();
    const qint64 seconds = qint64(hoursSpin_->value()) * kSecondsPerHour;
    auto token = auth->tokens().issue(user, seconds);
    if (!token) {
        Q_EMIT statusMessage(tr("Token not issued: %1").arg(QString::fromStdString(token.error())));
        return;
    }
    const QString actor = guiActor();
    if (auto recorded = auth->tokenLedger().record(token->claims, actor); !recorded)
        qWarning("token ledger: %s", recorded.error().c_str());
    auth->auditLog().record(actor, QStringLiteral("local"), QStringLiteral("token.issue"),
                            QStringLiteral("user %1, jti %2, %3 s").arg(user, token->claims.jti).arg(seconds));
    const QString text = QString::fromLatin1(token->token);
    tokenLabel_->setText(tr("Token for \"%1\", valid for %2 hours:").arg(user).arg(hoursSpin_->value()));
    tokenEdit_->setText(text);
    curlEdit_->setPlainText(curlCommand(server_->url().toString(), text));
    for (QWidget *w : {static_cast<QWidget *>(tokenLabel_), static_cast<QWidget *>(tokenEdit_),
                       static_cast<QWidget *>(copyTokenButton_), static_cast<QWidget *>(curlEdit_),
                       static_cast<QWidget *>(copyCurlButton_)})
        w->show();
    Q_EMIT statusMessage(tr("Token issued for \"%1\" (jti %2)").arg(user, token->claims.jti));
    refresh();
}

void TokensPanel::revokeSelected()
{
    http::Authenticator *auth = server_->authenticator();
    const auto rows = table_->selectionModel()->selectedRows();
    if (!auth || rows.isEmpty())
        return;
    const QTableWidgetItem *jtiItem = table_->item(rows.first().row(), Jti);
    const QString jti = jtiItem->text();
    if (auto r = auth->revokeJti(jti, jtiItem->data(Qt::UserRole).toLongLong()); !r) {
        Q_EMIT statusMessage(tr("Token not revoked: %1").arg(QString::fromStdString(r.error())));
        return;
    }
    auditGuiAction(server_, QStringLiteral("token.revoke"), jti);
    Q_EMIT statusMessage(tr("Token %1 revoked").arg(jti));
    refresh();
}

bool TokensPanel::rotateSigningSecret(bool ask)
{
    http::Authenticator *auth = server_->authenticator();
    if (!auth)
        return false;
    const int hours = auth->config().maxTokenHours;
    if (ask && QMessageBox::question(this, tr("Rotate the signing key?"),
                                     tr("Tokens issued from now on are signed with a new key. Tokens already issued "
                                        "stay valid until they expire (at most %n hour(s)); to end one sooner, "
                                        "revoke it.",
                                        nullptr, hours)) != QMessageBox::Yes)
        return false;
    auto rotated = auth->rotateSigningKey();
    if (!rotated) {
        Q_EMIT statusMessage(tr("Signing key not rotated: %1").arg(QString::fromStdString(rotated.error())));
        return false;
    }
    auditGuiAction(server_, QStringLiteral("token.rotate_secret"),
                   QStringLiteral("new kid %1").arg(auth->tokens().currentKeyId()));
    if (!rotated->isEmpty())
        Q_EMIT signingSecretRotated(rotated.value());
    Q_EMIT statusMessage(tr("Signing key rotated: new tokens use key %1").arg(auth->tokens().currentKeyId()));
    return true;
}

void TokensPanel::copy(const QString &text, const QString &what)
{
    QGuiApplication::clipboard()->setText(text);
    Q_EMIT statusMessage(what);
}

void TokensPanel::showEvent(QShowEvent *event)
{
    refresh();
    QWidget::showEvent(event);
}

void TokensPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange) {
        retranslateUi();
        refresh();
    }
    QWidget::changeEvent(event);
}

void TokensPanel::retranslateUi()
{
    notice_->setText(tr("Start the server to issue and revoke tokens."));
    issueGroup_->setTitle(tr("Issue a token"));
    userLabel_->setText(tr("Username:"));
    userEdit_->setPlaceholderText(tr("Who the token is for, e.g. alice"));
    hoursLabel_->setText(tr("Valid for (hours):"));
    issueButton_->setText(tr("Issue token"));
    copyTokenButton_->setText(tr("Copy"));
    copyCurlButton_->setText(tr("Copy curl"));
    validLabel_->setText(tr("Tokens still valid"));
    revokeButton_->setText(tr("Revoke"));
    rotateSecretButton_->setText(tr("Rotate signing key…"));
    rotateSecretButton_->setToolTip(tr("Signs new tokens with a new key; tokens already issued stay valid until they "
                                       "expire."));
    QStringList titles;
    for (const char *t : kColumnTitles)
        titles << tr(t);
    table_->setHorizontalHeaderLabels(titles);
}

} // namespace smartbot::gui
