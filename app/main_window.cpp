#include "app/main_window.h"

#include <QEvent>
#include <QSystemTrayIcon>
#include <QPushButton>
#include <QMessageBox>
#include <QMenu>
#include <QCloseEvent>
#include <QCoreApplication>
#include <QSettings>
#include <QMenuBar>
#include <QActionGroup>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QListWidget>
#include <QStackedWidget>
#include <QStatusBar>

#include "app/audit_panel.h"
#include "app/backups_panel.h"
#include "app/certificates_panel.h"
#include "app/dashboard_panel.h"
#include "app/keys_panel.h"
#include "app/log_panel.h"
#include "app/models_panel.h"
#include "app/network_panel.h"
#include "app/playground_panel.h"
#include "app/server_panel.h"
#include "app/tokens_panel.h"
#include "app/usage_help.h"
#include "app/i18n.h"
#include "core/demo_model.h"
#include "http/server/smartbot_server.h"
#include "smartbot/engine/engine.h"

namespace smartbot::gui {

namespace {
constexpr int kTitleRole = Qt::UserRole + 1; // the entry's untranslated title
}

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/smartbot.png")));
    server_ = new http::SmartbotServer(this);

    nav_ = new QListWidget(this);
    nav_->setObjectName(QStringLiteral("navList"));
    nav_->setFixedWidth(150);
    nav_->setSpacing(2);
    stack_ = new QStackedWidget(this);
    stack_->setObjectName(QStringLiteral("panelStack"));
    connect(nav_, &QListWidget::currentRowChanged, stack_, &QStackedWidget::setCurrentIndex);

    auto *central = new QWidget(this);
    auto *layout = new QHBoxLayout(central);
    layout->addWidget(nav_);
    layout->addWidget(stack_, 1);
    setCentralWidget(central);

    serverPanel_ = new ServerPanel(server_, this);
    serverPanel_->setObjectName(QStringLiteral("serverPanel"));
    logPanel_ = new LogPanel(this);
    logPanel_->setObjectName(QStringLiteral("logPanel"));
    keysPanel_ = new KeysPanel(server_, this);
    keysPanel_->setObjectName(QStringLiteral("keysPanel"));
    dashboardPanel_ = new DashboardPanel(server_, this);
    dashboardPanel_->setObjectName(QStringLiteral("dashboardPanel"));
    addPanel(serverPanel_, QT_TR_NOOP("Server"));
    networkPanel_ = new NetworkPanel(server_, this);
    networkPanel_->setObjectName(QStringLiteral("networkPanel"));
    addPanel(networkPanel_, QT_TR_NOOP("Network"));
    networkPanel_->setConfigDir(serverPanel_->configDir());
    connect(serverPanel_, &ServerPanel::configDirChanged, networkPanel_, &NetworkPanel::setConfigDir);
    connect(networkPanel_, &NetworkPanel::restartRequested, serverPanel_, &ServerPanel::restartServer);
    certificatesPanel_ = new CertificatesPanel(server_, this);
    certificatesPanel_->setObjectName(QStringLiteral("certificatesPanel"));
    addPanel(certificatesPanel_, QT_TR_NOOP("Certificates"));
    certificatesPanel_->setConfigDir(serverPanel_->configDir());
    connect(serverPanel_, &ServerPanel::configDirChanged, certificatesPanel_, &CertificatesPanel::setConfigDir);
    connect(certificatesPanel_, &CertificatesPanel::restartRequested, serverPanel_, &ServerPanel::restartServer);
    addPanel(dashboardPanel_, QT_TR_NOOP("Dashboard"));
    tokensPanel_ = new TokensPanel(server_, this);
    tokensPanel_->setObjectName(QStringLiteral("tokensPanel"));
    addPanel(keysPanel_, QT_TR_NOOP("Keys"));
    addPanel(tokensPanel_, QT_TR_NOOP("Tokens"));
    modelsPanel_ = new ModelsPanel(server_, bundledDemoModel(QCoreApplication::applicationDirPath()), this);
    modelsPanel_->setObjectName(QStringLiteral("modelsPanel"));
    addPanel(modelsPanel_, QT_TR_NOOP("Models"));
    modelsPanel_->setConfigDir(serverPanel_->configDir());
    keysPanel_->setConfigDir(serverPanel_->configDir());
    connect(serverPanel_, &ServerPanel::configDirChanged, keysPanel_, &KeysPanel::setConfigDir);
    connect(serverPanel_, &ServerPanel::configDirChanged, modelsPanel_, &ModelsPanel::setConfigDir);
    auditPanel_ = new AuditPanel(server_, this);
    auditPanel_->setObjectName(QStringLiteral("auditPanel"));
    playgroundPanel_ = new PlaygroundPanel(server_, this);
    playgroundPanel_->setObjectName(QStringLiteral("playgroundPanel"));
    addPanel(playgroundPanel_, QT_TR_NOOP("Playground"));
    addPanel(logPanel_, QT_TR_NOOP("Logs"));
    backupsPanel_ = new BackupsPanel(server_, this);
    backupsPanel_->setObjectName(QStringLiteral("backupsPanel"));
    addPanel(backupsPanel_, QT_TR_NOOP("Backups"));
    backupsPanel_->setConfigDir(serverPanel_->configDir());
    connect(serverPanel_, &ServerPanel::configDirChanged, backupsPanel_, &BackupsPanel::setConfigDir);
    logPanel_->setConfigDir(serverPanel_->configDir());
    connect(serverPanel_, &ServerPanel::configDirChanged, logPanel_, &LogPanel::setConfigDir);
    addPanel(auditPanel_, QT_TR_NOOP("Audit"));
    showPanel(0);

    statusText_ = new QLabel(this);
    statusText_->setObjectName(QStringLiteral("statusText"));
    statusBar()->addWidget(statusText_, 1);
    connect(serverPanel_, &ServerPanel::summaryChanged, statusText_, &QLabel::setText);
    statusText_->setText(serverPanel_->summary());
    // What an action did (a key created, something copied), for a few seconds beside the server's state.
    constexpr int kMessageMs = 5000;
    const auto showMessage = [this](const QString &text) { statusBar()->showMessage(text, kMessageMs); };
    connect(serverPanel_, &ServerPanel::statusMessage, this, showMessage);
    connect(keysPanel_, &KeysPanel::statusMessage, this, showMessage);
    connect(logPanel_, &LogPanel::statusMessage, this, showMessage);
    connect(tokensPanel_, &TokensPanel::statusMessage, this, showMessage);
    connect(tokensPanel_, &TokensPanel::signingSecretRotated, serverPanel_, &ServerPanel::storeJwtSecret);
    connect(playgroundPanel_, &PlaygroundPanel::statusMessage, this, showMessage);
    connect(networkPanel_, &NetworkPanel::statusMessage, this, showMessage);
    connect(certificatesPanel_, &CertificatesPanel::statusMessage, this, showMessage);
    connect(modelsPanel_, &ModelsPanel::statusMessage, this, showMessage);
    connect(backupsPanel_, &BackupsPanel::statusMessage, this, showMessage);
    setUpTray();
    setUpMenus();

    retranslateUi();
    resize(880, 560);
}

MainWindow::~MainWindow()
{
    // Stop while the panels still exist, but without them reacting to a half-destroyed window.
    server_->disconnect(this);
    server_->disconnect(serverPanel_);
    server_->stop();
}

int MainWindow::addPanel(QWidget *panel, const char *title)
{
    auto *item = new QListWidgetItem(tr(title), nav_);
    item->setData(kTitleRole, QByteArray(title));
    item->setSizeHint(QSize(0, 32));
    return stack_->addWidget(panel);
}

int MainWindow::panelIndex(QWidget *panel) const
{
    return stack_->indexOf(panel);
}

void MainWindow::showPanel(int index)
{
    nav_->setCurrentRow(index);
}

void MainWindow::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslateUi();
    QMainWindow::changeEvent(event);
}

void MainWindow::retranslateUi()
{
    setWindowTitle(tr("SmartBot"));
    for (int i = 0; i < nav_->count(); ++i) {
        QListWidgetItem *item = nav_->item(i);
        item->setText(tr(item->data(kTitleRole).toByteArray().constData()));
    }
    statusText_->setText(serverPanel_->summary());
    if (fileMenu_) {
        fileMenu_->setTitle(tr("&File"));
        quitAction_->setText(tr("&Quit"));
        languageMenu_->setTitle(tr("&Language"));
        helpMenu_->setTitle(tr("&Help"));
        aboutAction_->setText(tr("&About SmartBot"));
        usageAction_->setText(tr("&Usage"));
        englishAction_->setChecked(currentLanguage() == QLatin1String("en"));
        chineseAction_->setChecked(currentLanguage() == QLatin1String("zh_CN"));
    }
    if (trayQuit_) {
        trayShow_->setText(tr("Show SmartBot"));
        trayQuit_->setText(tr("Stop the server and quit"));
    }
}

void MainWindow::setUpMenus()
{
    fileMenu_ = menuBar()->addMenu(QString());
    quitAction_ = fileMenu_->addAction(QString(), this, [this] {
        quitting_ = !server_->isRunning(); // running: close() asks first
        close();
    });
    quitAction_->setObjectName(QStringLiteral("quitAction"));
    quitAction_->setShortcut(QKeySequence::Quit);
    languageMenu_ = menuBar()->addMenu(QString());
    auto *languages = new QActionGroup(this);
    const auto addLanguage = [&](const QString &code, const QString &name, const char *objectName) {
        QAction *a = languageMenu_->addAction(name); // each language named in itself: not translated
        a->setObjectName(QLatin1String(objectName));
        a->setCheckable(true);
        a->setChecked(currentLanguage() == code);
        languages->addAction(a);
        connect(a, &QAction::triggered, this, [code] {
            installTranslations(code);
            QSettings().setValue(QStringLiteral("ui/language"), code);
        });
        return a;
    };
    englishAction_ = addLanguage(QStringLiteral("en"), QStringLiteral("English"), "languageEnAction");
    chineseAction_ = addLanguage(QStringLiteral("zh_CN"), QStringLiteral("简体中文"), "languageZhAction");
    helpMenu_ = menuBar()->addMenu(QString());
    usageAction_ = helpMenu_->addAction(QString(), this, [this] { showUsageHelp(this); });
    usageAction_->setObjectName(QStringLiteral("usageAction"));
    usageAction_->setShortcut(QKeySequence::HelpContents);
    aboutAction_ = helpMenu_->addAction(QString(), this, &MainWindow::showAbout);
    aboutAction_->setObjectName(QStringLiteral("aboutAction"));
    retranslateUi();
}

QString MainWindow::aboutText() const
{
    return tr("SmartBot %1: a private chat service with its desktop console.\n\nQt %2\nEngine: %3")
        .arg(QCoreApplication::applicationVersion(), QString::fromLatin1(qVersion()),
             QString::fromStdString(engine::runtimeDescription()));
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About SmartBot"), aboutText());
}

void MainWindow::setUpTray()
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return; // no tray (offscreen, some desktops): closing then only offers stop-and-quit or cancel
    tray_ = new QSystemTrayIcon(windowIcon(), this);
    auto *menu = new QMenu(this);
    trayShow_ = menu->addAction(QString(), this, [this] {
        showNormal();
        activateWindow();
    });
    trayQuit_ = menu->addAction(QString(), this, [this] {
        quitting_ = true;
        close();
    });
    tray_->setContextMenu(menu);
    connect(tray_, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        if (reason == QSystemTrayIcon::Trigger)
            isVisible() ? hide() : showNormal();
    });
    tray_->setToolTip(QStringLiteral("SmartBot"));
    tray_->show();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (quitting_ || !server_->isRunning()) {
        server_->stop();
        event->accept();
        return;
    }
    // Closing the window must not silently end every client's service: ask.
    QMessageBox ask(QMessageBox::Question, tr("SmartBot"),
                    tr("The server is running and serving clients. Stop it and quit?"), QMessageBox::NoButton, this);
    ask.setObjectName(QStringLiteral("closeQuestion"));
    QPushButton *stop = ask.addButton(tr("Stop the server and quit"), QMessageBox::DestructiveRole);
    stop->setObjectName(QStringLiteral("stopAndQuitButton"));
    QPushButton *keep = nullptr;
    if (tray_) {
        keep = ask.addButton(tr("Keep running in the tray"), QMessageBox::AcceptRole);
        keep->setObjectName(QStringLiteral("keepRunningButton"));
    }
    QPushButton *cancel = ask.addButton(QMessageBox::Cancel);
    cancel->setObjectName(QStringLiteral("cancelCloseButton"));
    ask.setDefaultButton(cancel);
    ask.exec();
    if (ask.clickedButton() == stop) {
        server_->stop();
        event->accept();
    } else if (keep && ask.clickedButton() == keep) {
        hide();
        tray_->showMessage(tr("SmartBot"), tr("The server keeps running; the tray icon brings the window back."));
        event->ignore();
    } else {
        event->ignore();
    }
}

} // namespace smartbot::gui
