// TokensPanel: JWTs for chat clients, over the running server's TokenService, token ledger and revocation list (the
// same ones POST /admin/token and `smartbotd token ...` use, through SmartbotServer::authenticator()): issue a token
// for a username with a lifetime (default [auth] token_expire_hours), shown with Copy and a ready `curl` command; the
// tokens still valid (subject, jti, issued, expires, who issued them, revoked or not), and Revoke. Every action is
// audited as "gui (<user>)". Disabled, with a line saying why, while the server is stopped. Threading: GUI thread.
#pragma once

#include <QWidget>

class QGroupBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace smartbot::http {
class SmartbotServer;
}

namespace smartbot::gui {

class TokensPanel : public QWidget {
    Q_OBJECT
public:
    explicit TokensPanel(http::SmartbotServer *server, QWidget *parent = nullptr);

    void refresh(); // re-reads the valid tokens (also on server start/stop)
    // A new JWT signing key (Authenticator::rotateSigningKey), after a confirmation that says what happens to the
    // tokens already issued (ask = false: without it). Audited. False when stopped or it failed.
    bool rotateSigningSecret(bool ask = true);

Q_SIGNALS:
    void statusMessage(const QString &text);          // for the status bar (never a token)
    void signingSecretRotated(const QByteArray &key); // a key the server does not keep in files: store it

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override; // re-reads: last use and revocations change behind the panel

private:
    void retranslateUi();
    void issueToken();
    void revokeSelected();
    void copy(const QString &text, const QString &what);

    http::SmartbotServer *server_;
    QLabel *notice_ = nullptr;
    QGroupBox *issueGroup_ = nullptr;
    QLabel *userLabel_ = nullptr;
    QLineEdit *userEdit_ = nullptr;
    QLabel *hoursLabel_ = nullptr;
    QSpinBox *hoursSpin_ = nullptr;
    QPushButton *issueButton_ = nullptr;
    QLabel *tokenLabel_ = nullptr;
    QLineEdit *tokenEdit_ = nullptr;
    QPushButton *copyTokenButton_ = nullptr;
    QPlainTextEdit *curlEdit_ = nullptr;
    QPushButton *copyCurlButton_ = nullptr;
    QLabel *validLabel_ = nullptr;
    QTableWidget *table_ = nullptr;
    QPushButton *revokeButton_ = nullptr;
    QPushButton *rotateSecretButton_ = nullptr;
};

} // namespace smartbot::gui
