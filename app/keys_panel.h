// KeysPanel: the API keys of the running server, as `smartbotd key ...` and /admin/keys manage them (the same
// ApiKeyStore and audit log, through SmartbotServer::authenticator()): a filterable table (name, prefix, scope, allow
// list, limits, created, last used, expiry, state with "rotation due"), create (the key is shown once, with Copy),
// revoke and rotate; below them the upstream providers' platform keys (providers_group.h). Every action is audited as
// "gui (<user>)". Disabled, with a line saying why, while the server is stopped. Threading: GUI thread (the server runs
// on it too).
#pragma once

#include <QWidget>

class QComboBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace smartbot {
struct ApiKeyInfo;
struct CreatedKey;
namespace http {
class SmartbotServer;
}
} // namespace smartbot

namespace smartbot::gui {

class ProvidersGroup;

class KeysPanel : public QWidget {
    Q_OBJECT
public:
    explicit KeysPanel(http::SmartbotServer *server, QWidget *parent = nullptr);

    void refresh(); // re-reads the keys (also on server start/stop)
    // The server's config folder: the upstream providers below the keys are read from and saved to it.
    void setConfigDir(const QString &dir);
    ProvidersGroup *providers() const { return providers_; }

Q_SIGNALS:
    void statusMessage(const QString &text); // for the status bar: what an action did (never a secret)

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override; // re-reads: last use and revocations change behind the panel

private:
    void retranslateUi();
    void createKey();
    void revokeSelected();
    void rotateSelected();
    void showNewKey(const CreatedKey &created, const QString &what);
    void applyFilter();
    QString selectedPrefix() const;
    QString stateText(const ApiKeyInfo &key) const;
    void audit(const QString &action, const QString &detail) const;

    http::SmartbotServer *server_;
    QLabel *notice_ = nullptr;
    QLineEdit *filterEdit_ = nullptr;
    QTableWidget *table_ = nullptr;
    QLineEdit *nameEdit_ = nullptr;
    QComboBox *scopeCombo_ = nullptr;
    QSpinBox *expiresSpin_ = nullptr;
    QLineEdit *allowEdit_ = nullptr;
    QPushButton *createButton_ = nullptr;
    QPushButton *revokeButton_ = nullptr;
    QPushButton *rotateButton_ = nullptr;
    QLabel *newKeyLabel_ = nullptr;
    QLineEdit *newKeyEdit_ = nullptr;
    QPushButton *copyKeyButton_ = nullptr;
    QGroupBox *createGroup_ = nullptr;
    QLabel *nameLabel_ = nullptr;
    QLabel *scopeLabel_ = nullptr;
    QLabel *expiresLabel_ = nullptr;
    QLabel *allowLabel_ = nullptr;
    ProvidersGroup *providers_ = nullptr;
};

} // namespace smartbot::gui
