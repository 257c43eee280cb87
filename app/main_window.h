// MainWindow: a navigation list on the left and one panel per entry (Server, Logs, ...) on the right.
// Owns the in-process server; the status bar shows its state.
#pragma once

#include <QMainWindow>

class QAction;
class QLabel;
class QMenu;
class QSystemTrayIcon;
class QListWidget;
class QStackedWidget;

namespace smartbot::http {
class SmartbotServer;
}

namespace smartbot::gui {

class AuditPanel;
class BackupsPanel;
class CertificatesPanel;
class DashboardPanel;
class KeysPanel;
class LogPanel;
class ModelsPanel;
class NetworkPanel;
class PlaygroundPanel;
class ServerPanel;
class TokensPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override; // stops the server

    http::SmartbotServer *server() const { return server_; }
    ServerPanel *serverPanel() const { return serverPanel_; }
    LogPanel *logPanel() const { return logPanel_; }
    KeysPanel *keysPanel() const { return keysPanel_; }
    TokensPanel *tokensPanel() const { return tokensPanel_; }
    AuditPanel *auditPanel() const { return auditPanel_; }
    DashboardPanel *dashboardPanel() const { return dashboardPanel_; }
    PlaygroundPanel *playgroundPanel() const { return playgroundPanel_; }
    NetworkPanel *networkPanel() const { return networkPanel_; }
    CertificatesPanel *certificatesPanel() const { return certificatesPanel_; }
    ModelsPanel *modelsPanel() const { return modelsPanel_; }
    BackupsPanel *backupsPanel() const { return backupsPanel_; }

    // Adds a navigation entry. title is an untranslated source text marked with QT_TR_NOOP in MainWindow's
    // context (it is translated again on language changes). Returns the entry's index.
    int addPanel(QWidget *panel, const char *title);
    void showPanel(int index);
    int panelIndex(QWidget *panel) const; // -1 when it is not one of the panels
    // The About text: SmartBot's, Qt's and the engine's versions (libtorch, CPU kernel, CUDA).
    QString aboutText() const;

protected:
    void changeEvent(QEvent *event) override;
    // While the server runs, closing asks: stop it and quit, keep it running in the tray (where there is one), or
    // cancel. The tray menu's "Stop the server and quit" quits without asking.
    void closeEvent(QCloseEvent *event) override;

private:
    void retranslateUi();
    void setUpTray();
    void setUpMenus();
    void showAbout();

    http::SmartbotServer *server_ = nullptr;
    QListWidget *nav_ = nullptr;
    QStackedWidget *stack_ = nullptr;
    QLabel *statusText_ = nullptr;
    QSystemTrayIcon *tray_ = nullptr; // null where the desktop has no tray
    QAction *trayShow_ = nullptr;
    QAction *trayQuit_ = nullptr;
    bool quitting_ = false;
    QMenu *fileMenu_ = nullptr;
    QMenu *languageMenu_ = nullptr;
    QMenu *helpMenu_ = nullptr;
    QAction *quitAction_ = nullptr;
    QAction *englishAction_ = nullptr;
    QAction *chineseAction_ = nullptr;
    QAction *aboutAction_ = nullptr;
    QAction *usageAction_ = nullptr;
    ServerPanel *serverPanel_ = nullptr;
    LogPanel *logPanel_ = nullptr;
    KeysPanel *keysPanel_ = nullptr;
    TokensPanel *tokensPanel_ = nullptr;
    AuditPanel *auditPanel_ = nullptr;
    DashboardPanel *dashboardPanel_ = nullptr;
    PlaygroundPanel *playgroundPanel_ = nullptr;
    NetworkPanel *networkPanel_ = nullptr;
    CertificatesPanel *certificatesPanel_ = nullptr;
    ModelsPanel *modelsPanel_ = nullptr;
    BackupsPanel *backupsPanel_ = nullptr;
};

} // namespace smartbot::gui
