// ServerPanel: starts and stops the in-process SmartBot server and edits what it starts with
// (port, bind address, config folder, model folder). Shows the state, the URL and the model's state.
#pragma once

#include <QWidget>

#include <memory>

class QCheckBox;
class QFormLayout;
class QGroupBox;
class QHBoxLayout;
class QLabel;
class QLockFile;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTimer;

namespace smartbot::http {
class SmartbotServer;
struct ServerOverrides;
} // namespace smartbot::http

namespace smartbot::gui {

class ServerPanel : public QWidget {
    Q_OBJECT
public:
    // The server is not owned; it must outlive the panel.
    explicit ServerPanel(http::SmartbotServer *server, QWidget *parent = nullptr);
    ~ServerPanel() override;

    QString configDir() const;
    void setConfigDir(const QString &dir);
    QString modelDir() const;
    void setModelDir(const QString &dir);
    int port() const;              // the spin box: the bound port while running
    void setPort(int port);        // 0: any free port; turns "use instead of server.conf" on (as setBindAddress does)
    bool overridesNetwork() const; // the port and address fields replace server.conf's
    QString bindAddress() const;
    void setBindAddress(const QString &address);

    QString summary() const;           // one line for a status bar
    static QString defaultConfigDir(); // under QStandardPaths::AppConfigLocation

public Q_SLOTS:
    // Starts with the fields as overrides and saves them to QSettings. False (and a red status) on error.
    bool startServer();
    void stopServer();
    void toggleServer();
    // A rotated JWT signing key that the server does not keep in files (Authenticator::rotateSigningKey): stored in
    // the OS keychain for the next start. False (and a status message) when it cannot be.
    bool storeJwtSecret(const QByteArray &key);
    // Graceful stop: requests in flight finish (at most [network] drain_timeout_s), new ones get 503, then it stops.
    void drainServer();
    // Stop, then start with the same fields (new server.conf values, a new model path). False as startServer.
    bool restartServer();

Q_SIGNALS:
    void summaryChanged(const QString &summary);
    void configDirChanged(const QString &dir); // the config folder field was set or edited (not per keystroke)
    void statusMessage(const QString &text);   // what an action did, for the status bar (never a secret)

protected:
    void changeEvent(QEvent *event) override;

private:
    void buildUi();
    void retranslateUi();
    void updateState();
    void updateModelLabel();
    void showStatus(const QString &text, bool error);
    void loadSettings();
    void saveSettings(const QString &configDir, const http::ServerOverrides &used) const;
    void browse(QLineEdit *edit, const QString &title);
    void loadSecrets(const QString &configDir, http::ServerOverrides &overrides);
    void copyAdminKey();

    http::SmartbotServer *server_;
    QGroupBox *statusGroup_ = nullptr;
    QGroupBox *settingsGroup_ = nullptr;
    QFormLayout *statusForm_ = nullptr;
    QFormLayout *settingsForm_ = nullptr;
    QPushButton *startStopButton_ = nullptr;
    QPushButton *restartButton_ = nullptr;
    QPushButton *drainButton_ = nullptr;
    QTimer *clock_ = nullptr; // refreshes uptime and requests in flight while running
    qint64 startedAt_ = 0;    // epoch seconds of the last start
    QLabel *statusLabel_ = nullptr;
    QLabel *urlLabel_ = nullptr;
    QLabel *modelLabel_ = nullptr;
    QSpinBox *portSpin_ = nullptr;
    QCheckBox *overrideCheck_ = nullptr;
    std::unique_ptr<QLockFile> configLock_; // held while this window runs the server (one app per config folder)
    QLineEdit *bindEdit_ = nullptr;
    QLineEdit *configDirEdit_ = nullptr;
    QPushButton *configBrowseButton_ = nullptr;
    QLineEdit *modelDirEdit_ = nullptr;
    QPushButton *modelBrowseButton_ = nullptr;
    QHBoxLayout *configRow_ = nullptr;
    QHBoxLayout *modelRow_ = nullptr;
    QLabel *hintLabel_ = nullptr;
    QLabel *secretsLabel_ = nullptr;
    QPushButton *copyAdminKeyButton_ = nullptr;
    QHBoxLayout *secretsRow_ = nullptr;
    QPushButton *copyUrlButton_ = nullptr;
    QHBoxLayout *urlRow_ = nullptr;

    QString startError_;     // why the last start failed; cleared by a successful start
    int requestedPort_ = -1; // the spin box value before start (0 stays 0 after a stop)
    QByteArray adminKey_;    // the running server's admin key, for "Copy admin key" (never logged)
    QString secretsSource_;  // where the secrets came from: empty (keychain) or why the key files are used
};

} // namespace smartbot::gui
