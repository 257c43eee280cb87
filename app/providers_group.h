// ProvidersGroup: the upstream platforms ([provider.NAME]) in the Keys panel. A table of the configured providers
// (address, models, platform key with the date it was set and "rotation due" after [auth] key_rotation_days, and,
// while the server runs, the circuit breaker and requests in flight), and a form that adds or edits one: the
// section is written to server.conf (comments and order kept, ConfigFile), the platform key to the OS keychain
// (ProviderKeyStore; providers/NAME.env, 0600, without one). "Test connection" asks the provider's /models with the
// form's address and key, as the server would, and says what came back. "Remove" deletes the section (the rest of
// server.conf stays as written) and the key. Changes apply at the server's next start.
// Threading: GUI thread.
#pragma once

#include <QGroupBox>
#include <memory>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace smartbot {
namespace http {
class SmartbotServer;
}
namespace relay {
class ProviderRelay;
}
} // namespace smartbot

namespace smartbot::gui {

class ProvidersGroup : public QGroupBox {
    Q_OBJECT
public:
    explicit ProvidersGroup(http::SmartbotServer *server, QWidget *parent = nullptr);
    ~ProvidersGroup() override;
    void setConfigDir(const QString &dir);
    void refresh(); // re-reads server.conf, the keys and the running server's provider states
    int rowOf(const QString &name) const;

Q_SIGNALS:
    void statusMessage(const QString &text);
    void tested(bool ok); // "Test connection" has its answer

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslateUi();
    bool save();
    void test();
    void remove(); // the provider named in the form: its section (after a question) and its key
    void fillForm(int row);

    http::SmartbotServer *server_;
    QString configDir_;
    QTableWidget *table_ = nullptr;
    QLineEdit *nameEdit_ = nullptr;
    QLineEdit *urlEdit_ = nullptr;
    QLineEdit *modelsEdit_ = nullptr;
    QLineEdit *keyEdit_ = nullptr;
    QPushButton *saveButton_ = nullptr;
    QPushButton *testButton_ = nullptr;
    QPushButton *removeButton_ = nullptr;
    QLabel *resultLabel_ = nullptr;
    QLabel *nameLabel_ = nullptr;
    QLabel *urlLabel_ = nullptr;
    QLabel *modelsLabel_ = nullptr;
    QLabel *keyLabel_ = nullptr;
    std::unique_ptr<relay::ProviderRelay> testRelay_; // the one "Test connection" in progress
};

} // namespace smartbot::gui
