#include "app/server_panel.h"

#include "app/core_messages.h"
#include "app/panel_text.h"

#include <QCheckBox>
#include <QDateTime>
#include <QTimer>
#include <QClipboard>
#include <QCoreApplication>
#include <QDir>
#include <QEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLockFile>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QVBoxLayout>

#include <functional>

#include "core/demo_model.h"
#include "core/secret_files.h"
#include "core/server_config.h"
#include "http/server/smartbot_server.h"
#include "app/provider_key_store.h"
#ifdef SMARTBOT_HAVE_KEYCHAIN
#include "app/keychain_store.h"
#endif

namespace smartbot::gui {

namespace {
using ModelState = service::InferenceWorker::ModelState;

const QString kErrorStyle = QStringLiteral("color: #c62828;");

QString settingKey(const char *name)
{
    return QStringLiteral("server/") + QLatin1String(name);
}

#ifdef SMARTBOT_HAVE_KEYCHAIN
// Reads the secret `name` from the keychain, creating it with make() when it does not exist yet.
Result<QByteArray> keychainSecret(const app::KeychainStore &store, const char *name,
                                  const std::function<QByteArray()> &make)
{
    auto existing = store.read(QLatin1String(name));
    if (existing.ok() && !existing.value().isEmpty())
        return existing;
    if (!existing.ok() && existing.code() != ErrorCode::NotFound)
        return existing;
    const QByteArray fresh = make();
    if (auto w = store.write(QLatin1String(name), fresh); !w.ok())
        return makeError(w.error());
    qInfo("created a new %s in the keychain (it is never logged)", name);
    return fresh;
}
#endif
} // namespace

ServerPanel::ServerPanel(http::SmartbotServer *server, QWidget *parent) : QWidget(parent), server_(server)
{
    buildUi();
    loadSettings();
    // However it stopped (Stop, a drain): the port field goes back to what was asked for (0 stays "any free port").
    connect(server_, &http::SmartbotServer::runningChanged, this, [this](bool running) {
        if (!running && requestedPort_ >= 0) {
            portSpin_->setValue(requestedPort_);
            requestedPort_ = -1;
        }
    });
    connect(server_, &http::SmartbotServer::runningChanged, this, &ServerPanel::updateState);
    connect(server_, &http::SmartbotServer::modelStateChanged, this, &ServerPanel::updateState);
    connect(startStopButton_, &QPushButton::clicked, this, &ServerPanel::toggleServer);
    connect(restartButton_, &QPushButton::clicked, this, &ServerPanel::restartServer);
    connect(drainButton_, &QPushButton::clicked, this, &ServerPanel::drainServer);
    connect(server_, &http::SmartbotServer::drainFinished, this, [this](bool complete) {
        Q_EMIT statusMessage(complete ? tr("Drained: every request in flight was answered; the server stopped")
                                      : tr("Drain time is up: the server stopped with requests still in flight"));
    });
    connect(clock_, &QTimer::timeout, this, &ServerPanel::updateState);
    connect(configDirEdit_, &QLineEdit::editingFinished, this, [this] { Q_EMIT configDirChanged(configDir()); });
    connect(modelDirEdit_, &QLineEdit::textChanged, this, &ServerPanel::updateModelLabel);
    connect(configBrowseButton_, &QPushButton::clicked, this,
            [this] { browse(configDirEdit_, tr("Choose the config folder")); });
    connect(modelBrowseButton_, &QPushButton::clicked, this,
            [this] { browse(modelDirEdit_, tr("Choose the model folder")); });
    connect(copyAdminKeyButton_, &QPushButton::clicked, this, &ServerPanel::copyAdminKey);
    connect(copyUrlButton_, &QPushButton::clicked, this, [this] {
        QGuiApplication::clipboard()->setText(server_->url().toString());
        Q_EMIT statusMessage(tr("Address %1 copied to the clipboard").arg(server_->url().toString()));
    });
    retranslateUi();
}

void ServerPanel::buildUi()
{
    startStopButton_ = new QPushButton(this);
    startStopButton_->setObjectName(QStringLiteral("startStopButton"));
    startStopButton_->setMinimumWidth(140);
    startStopButton_->setDefault(true);

    statusLabel_ = new QLabel(this);
    statusLabel_->setObjectName(QStringLiteral("statusLabel"));
    statusLabel_->setTextFormat(Qt::PlainText);
    statusLabel_->setWordWrap(true);
    statusLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    urlLabel_ = new QLabel(this);
    urlLabel_->setObjectName(QStringLiteral("urlLabel"));
    urlLabel_->setTextFormat(Qt::RichText);
    urlLabel_->setTextInteractionFlags(Qt::TextBrowserInteraction);
    urlLabel_->setOpenExternalLinks(true);

    modelLabel_ = new QLabel(this);
    modelLabel_->setObjectName(QStringLiteral("modelLabel"));
    modelLabel_->setTextFormat(Qt::PlainText);
    modelLabel_->setWordWrap(true);
    modelLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    secretsLabel_ = new QLabel(this);
    secretsLabel_->setObjectName(QStringLiteral("secretsLabel"));
    secretsLabel_->setTextFormat(Qt::PlainText);
    secretsLabel_->setWordWrap(true);
    secretsLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    copyUrlButton_ = new QPushButton(this);
    copyUrlButton_->setObjectName(QStringLiteral("copyUrlButton"));
    copyUrlButton_->setEnabled(false);
    urlRow_ = new QHBoxLayout;
    urlRow_->addWidget(urlLabel_, 1);
    urlRow_->addWidget(copyUrlButton_, 0, Qt::AlignTop);
    copyAdminKeyButton_ = new QPushButton(this);
    copyAdminKeyButton_->setObjectName(QStringLiteral("copyAdminKeyButton"));
    copyAdminKeyButton_->setEnabled(false);
    secretsRow_ = new QHBoxLayout;
    secretsRow_->addWidget(secretsLabel_, 1);
    secretsRow_->addWidget(copyAdminKeyButton_, 0, Qt::AlignTop);

    statusGroup_ = new QGroupBox(this);
    auto *statusRow = new QHBoxLayout(statusGroup_);
    statusForm_ = new QFormLayout;
    statusForm_->addRow(new QLabel(this), statusLabel_);
    statusForm_->addRow(new QLabel(this), urlRow_);
    statusForm_->addRow(new QLabel(this), modelLabel_);
    statusForm_->addRow(new QLabel(this), secretsRow_);
    statusRow->addLayout(statusForm_, 1);
    restartButton_ = new QPushButton(this);
    restartButton_->setObjectName(QStringLiteral("restartButton"));
    drainButton_ = new QPushButton(this);
    drainButton_->setObjectName(QStringLiteral("drainButton"));
    clock_ = new QTimer(this);
    clock_->setInterval(1000);
    auto *actions = new QVBoxLayout;
    actions->addWidget(startStopButton_);
    actions->addWidget(restartButton_);
    actions->addWidget(drainButton_);
    actions->addStretch(1);
    statusRow->addLayout(actions);

    portSpin_ = new QSpinBox(this);
    portSpin_->setObjectName(QStringLiteral("portSpin"));
    portSpin_->setRange(0, 65535);
    portSpin_->setValue(ServerConfig{}.port);

    bindEdit_ = new QLineEdit(ServerConfig{}.bindAddress, this);
    bindEdit_->setObjectName(QStringLiteral("bindEdit"));
    // server.conf is the one source of truth for where the server listens; the fields replace its values only when
    // asked to, and the panel says which is in effect (an operator found the stored GUI port silently winning).
    overrideCheck_ = new QCheckBox(this);
    overrideCheck_->setObjectName(QStringLiteral("overrideNetworkCheck"));
    connect(overrideCheck_, &QCheckBox::toggled, this, &ServerPanel::updateState);

    configDirEdit_ = new QLineEdit(this);
    configDirEdit_->setObjectName(QStringLiteral("configDirEdit"));
    configBrowseButton_ = new QPushButton(this);
    configBrowseButton_->setObjectName(QStringLiteral("configBrowseButton"));
    configRow_ = new QHBoxLayout;
    configRow_->addWidget(configDirEdit_, 1);
    configRow_->addWidget(configBrowseButton_);

    modelDirEdit_ = new QLineEdit(this);
    modelDirEdit_->setObjectName(QStringLiteral("modelDirEdit"));
    modelBrowseButton_ = new QPushButton(this);
    modelBrowseButton_->setObjectName(QStringLiteral("modelBrowseButton"));
    modelRow_ = new QHBoxLayout;
    modelRow_->addWidget(modelDirEdit_, 1);
    modelRow_->addWidget(modelBrowseButton_);

    hintLabel_ = new QLabel(this);
    hintLabel_->setWordWrap(true);
    hintLabel_->setEnabled(false); // greyed: it is a note

    settingsGroup_ = new QGroupBox(this);
    settingsForm_ = new QFormLayout(settingsGroup_);
    settingsForm_->addRow(overrideCheck_);
    settingsForm_->addRow(new QLabel(this), portSpin_);
    settingsForm_->addRow(new QLabel(this), bindEdit_);
    settingsForm_->addRow(new QLabel(this), configRow_);
    settingsForm_->addRow(new QLabel(this), modelRow_);
    settingsForm_->addRow(hintLabel_);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(statusGroup_);
    layout->addWidget(settingsGroup_);
    layout->addStretch(1);
}

void ServerPanel::retranslateUi()
{
    statusGroup_->setTitle(tr("Server"));
    settingsGroup_->setTitle(tr("Settings"));
    setRowLabel(statusForm_, statusLabel_, tr("Status:"));
    setRowLabel(statusForm_, urlRow_, tr("Address:"));
    copyUrlButton_->setText(tr("Copy address"));
    setRowLabel(statusForm_, modelLabel_, tr("Model:"));
    setRowLabel(statusForm_, secretsRow_, tr("Keys:"));
    copyAdminKeyButton_->setText(tr("Copy admin key"));
    restartButton_->setText(tr("Restart"));
    drainButton_->setText(tr("Drain and stop"));
    drainButton_->setToolTip(tr("Graceful stop: new chat requests get 503, those in flight finish (at most "
                                "drain_timeout_s), then the server stops."));
    restartButton_->setToolTip(tr("Stops the server (requests in flight end) and starts it again with "
                                  "server.conf as it is now."));
    copyAdminKeyButton_->setToolTip(tr("Copies the admin key (X-API-Key of the /admin routes) to the clipboard."));
    setRowLabel(settingsForm_, portSpin_, tr("Port:"));
    setRowLabel(settingsForm_, bindEdit_, tr("Bind address:"));
    setRowLabel(settingsForm_, configRow_, tr("Config folder:"));
    setRowLabel(settingsForm_, modelRow_, tr("Model folder:"));
    portSpin_->setSpecialValueText(tr("Any free port"));
    overrideCheck_->setText(tr("Use this port and address instead of server.conf's [network] port and bind_address"));
    portSpin_->setToolTip(tr("TCP port of the HTTP API; 0 picks any free port."));
    bindEdit_->setToolTip(tr("127.0.0.1: this computer only; 0.0.0.0: every network interface."));
    configDirEdit_->setToolTip(tr("Folder with server.conf and the keys; created when missing."));
    modelDirEdit_->setPlaceholderText(tr("Empty: the [model] path of server.conf, else the demo model"));
    modelDirEdit_->setToolTip(tr("Model folder with config.json, model.safetensors and tokenizer.json."));
    configBrowseButton_->setText(tr("Browse…"));
    modelBrowseButton_->setText(tr("Browse…"));
    hintLabel_->setText(tr("Port, address and folders can be changed while the server is stopped."));
    updateState();
}

void ServerPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslateUi();
    QWidget::changeEvent(event);
}

QString ServerPanel::defaultConfigDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation);
}

QString ServerPanel::configDir() const
{
    return configDirEdit_->text().trimmed();
}
void ServerPanel::setConfigDir(const QString &dir)
{
    configDirEdit_->setText(QDir::toNativeSeparators(dir));
    Q_EMIT configDirChanged(configDir());
}
QString ServerPanel::modelDir() const
{
    return modelDirEdit_->text().trimmed();
}
void ServerPanel::setModelDir(const QString &dir)
{
    modelDirEdit_->setText(QDir::toNativeSeparators(dir));
}
int ServerPanel::port() const
{
    return portSpin_->value();
}
void ServerPanel::setPort(int port)
{
    portSpin_->setValue(port);
    overrideCheck_->setChecked(true); // a port given (command line, caller) is meant to be used
}
QString ServerPanel::bindAddress() const
{
    return bindEdit_->text().trimmed();
}
void ServerPanel::setBindAddress(const QString &address)
{
    bindEdit_->setText(address);
    overrideCheck_->setChecked(true);
}

bool ServerPanel::overridesNetwork() const
{
    return overrideCheck_->isChecked();
}

bool ServerPanel::restartServer()
{
    if (server_->isRunning())
        stopServer();
    return startServer();
}

void ServerPanel::drainServer()
{
    if (!server_->isRunning() || server_->isDraining())
        return;
    server_->drain(QStringLiteral("the desktop app"));
    updateState();
}

void ServerPanel::toggleServer()
{
    if (server_->isRunning())
        stopServer();
    else
        startServer();
}

bool ServerPanel::startServer()
{
    if (server_->isRunning())
        return true;
    startError_.clear();
    const QString dir = configDir();
    if (dir.isEmpty()) {
        startError_ = tr("choose a config folder first");
        qWarning("cannot start the server: no config folder");
        updateState();
        return false;
    }
    http::ServerOverrides overrides;
    if (overridesNetwork()) {
        overrides.port = portSpin_->value();
        overrides.bindAddress = bindAddress();
    } // else -1 and "": [network] port and bind_address of server.conf
    overrides.modelPath = modelDir();
    overrides.demoModelPath = bundledDemoModel(QCoreApplication::applicationDirPath());

    // One app per config folder: two windows serving one folder would fight over its port and secrets.
    QDir().mkpath(QDir::fromNativeSeparators(dir));
    auto lock = std::make_unique<QLockFile>(QDir(QDir::fromNativeSeparators(dir)).filePath(QStringLiteral("app.lock")));
    lock->setStaleLockTime(0); // only a lock whose process is gone is stale
    if (!lock->tryLock(0)) {
        qint64 pid = 0;
        QString host, app;
        lock->getLockInfo(&pid, &host, &app);
        startError_ = tr("another SmartBot window (process %1) already runs the config folder %2").arg(pid).arg(dir);
        qWarning("cannot start the server: %s", qPrintable(startError_));
        updateState();
        return false;
    }
    showStatus(tr("Starting…"), false);
    loadSecrets(QDir::fromNativeSeparators(dir), overrides);
    startStopButton_->setEnabled(false);
    statusLabel_->repaint(); // start() blocks briefly (config, keys, listen); show why
    requestedPort_ = overrides.port;
    const auto result = server_->start(QDir::fromNativeSeparators(dir), overrides);
    startStopButton_->setEnabled(true);
    if (!result) {
        adminKey_.clear();
        requestedPort_ = -1;
        startError_ = localizedMessage(result.error());
        qWarning("cannot start the server: %s", result.error().c_str());
        updateState();
        return false;
    }
    configLock_ = std::move(lock);
    saveSettings(dir, overrides);
    updateState();
    return true;
}

bool ServerPanel::storeJwtSecret(const QByteArray &key)
{
#ifdef SMARTBOT_HAVE_KEYCHAIN
    const app::KeychainStore store(app::KeychainStore::serviceFor(QDir::fromNativeSeparators(configDir())));
    if (auto w = store.write(QLatin1String(app::KeychainStore::kJwtSecret), key); !w) {
        qWarning("the rotated JWT signing key could not be stored in the keychain: %s", w.error().c_str());
        Q_EMIT statusMessage(tr("The new signing key could not be stored in the keychain; it is used until the "
                                "server stops"));
        return false;
    }
    return true;
#else
    Q_UNUSED(key)
    return false;
#endif
}

void ServerPanel::loadSecrets(const QString &configDir, http::ServerOverrides &overrides)
{
    adminKey_.clear();
    secretsSource_.clear();
#ifdef SMARTBOT_HAVE_KEYCHAIN
    // One keychain service per config folder keeps two servers apart.
    const app::KeychainStore store(app::KeychainStore::serviceFor(configDir));
    auto admin = keychainSecret(store, app::KeychainStore::kAdminKey, [] { return randomToken("sbadmin_", 32); });
    auto jwt = admin.ok() ? keychainSecret(store, app::KeychainStore::kJwtSecret, [] { return randomBytes(32); })
                          : Result<QByteArray>(makeError(admin.error()));
    if (admin.ok() && jwt.ok()) {
        overrides.adminKey = adminKey_ = admin.value();
        overrides.jwtSecret = jwt.value();
        // Platform keys saved in the Keys panel live in the keychain too; the others in providers/NAME.env.
        if (auto config = ServerConfig::readOrDefaults(configDir); config)
            overrides.providerKeys = app::ProviderKeyStore(configDir).keychainKeys(config->providers);
        return;
    }
    const std::string why = admin.ok() ? jwt.error() : admin.error();
    // A calm line on screen; the keychain's own (often D-Bus) reason goes to the log only.
    secretsSource_ = tr("No OS keychain: secrets are kept in files in the config folder (mode 0600)");
    qWarning("the OS keychain is not available (%s): using the key files admin.key and auth/secret.key in %s",
             why.c_str(), qPrintable(QDir::toNativeSeparators(configDir)));
#else
    secretsSource_ = tr("built without the OS keychain: the key files of the config folder are used");
#endif
    // The file-based admin key (created by start()) is read back after a successful start, for the copy button.
}

void ServerPanel::copyAdminKey()
{
    QByteArray key = adminKey_;
    if (key.isEmpty() && server_->isRunning()) { // key files: admin.key of the config folder
        QFile f(QDir(server_->config().configDir).filePath(QStringLiteral("admin.key")));
        if (f.open(QIODevice::ReadOnly))
            key = f.read(4096).trimmed();
    }
    if (key.isEmpty()) {
        qWarning("no admin key to copy (SMARTBOT_ADMIN_KEY is set, or the server is not running)");
        Q_EMIT statusMessage(tr("No admin key to copy: it comes from SMARTBOT_ADMIN_KEY, or the server is stopped"));
        return;
    }
    QGuiApplication::clipboard()->setText(QString::fromUtf8(key));
    qInfo("copied the admin key to the clipboard");
    Q_EMIT statusMessage(tr("Admin key copied to the clipboard"));
}

ServerPanel::~ServerPanel() = default;

void ServerPanel::stopServer()
{
    startError_.clear();
    server_->stop();
    configLock_.reset();
    if (requestedPort_ >= 0) { // back to what the user asked for (0 stays "any free port")
        portSpin_->setValue(requestedPort_);
        requestedPort_ = -1;
    }
    updateState();
}

void ServerPanel::updateState()
{
    const bool running = server_->isRunning();
    if (!running)
        configLock_.reset(); // however it stopped (Stop, drain, an error): the folder is free again
    startStopButton_->setText(running ? tr("Stop server") : tr("Start server"));
    restartButton_->setEnabled(running);
    drainButton_->setEnabled(running && !server_->isDraining());
    if (running && !clock_->isActive()) {
        startedAt_ = QDateTime::currentSecsSinceEpoch();
        clock_->start();
    } else if (!running) {
        clock_->stop();
    }
    for (QWidget *w : std::initializer_list<QWidget *>{configDirEdit_, configBrowseButton_, modelDirEdit_,
                                                       modelBrowseButton_, overrideCheck_})
        w->setEnabled(!running);
    portSpin_->setEnabled(!running && overridesNetwork());
    bindEdit_->setEnabled(!running && overridesNetwork());
    if (running) {
        const qint64 up = QDateTime::currentSecsSinceEpoch() - startedAt_;
        const QString uptime =
            up < 3600 ? tr("%1 min").arg(up / 60) : tr("%1 h %2 min").arg(up / 3600).arg(up % 3600 / 60);
        const int busy = server_->requestsInFlight();
        showStatus(server_->isDraining() ? tr("Draining: %n request(s) still in flight", nullptr, busy)
                                         : tr("Running for %1; %n request(s) in flight", nullptr, busy).arg(uptime),
                   false);
        portSpin_->setValue(server_->port()); // the real port (0 asked for, or server.conf's)
        bindEdit_->setText(server_->bindAddress());
        const QString url = server_->url().toString();
        urlLabel_->setText(QStringLiteral("<a href=\"%1\">%1</a>").arg(url.toHtmlEscaped()));
    } else {
        if (startError_.isEmpty())
            showStatus(tr("Stopped"), false);
        else
            showStatus(tr("Failed to start: %1").arg(startError_), true);
        urlLabel_->setText(tr("Not running"));
    }
    copyAdminKeyButton_->setEnabled(running);
    copyUrlButton_->setEnabled(running);
    if (!running)
        secretsLabel_->setText(tr("Not running"));
    else if (secretsSource_.isEmpty())
        secretsLabel_->setText(tr("Admin key and JWT secret in the OS keychain"));
    else
        secretsLabel_->setText(secretsSource_);
    updateModelLabel();
    Q_EMIT summaryChanged(summary());
}

void ServerPanel::updateModelLabel()
{
    const auto folderName = [](const QString &path) { return QFileInfo(QDir::cleanPath(path)).fileName(); };
    QString text;
    bool error = false;
    if (!server_->isRunning()) {
        text = modelDir().isEmpty() ? tr("Not loaded") : tr("%1: Not loaded").arg(folderName(modelDir()));
    } else {
        QString name = server_->modelName();
        if (name.isEmpty())
            name = folderName(server_->modelPath());
        switch (server_->modelState()) {
        case ModelState::None:
            text = server_->modelPath().isEmpty() ? tr("No model configured: chat requests answer 503")
                                                  : tr("%1: Not loaded").arg(name);
            break;
        case ModelState::Loading:
            text = tr("%1: Loading…").arg(name);
            break;
        case ModelState::Ready:
            text = tr("%1: Ready").arg(name);
            break;
        case ModelState::Failed:
            text = tr("%1: Failed: %2").arg(name, server_->modelError());
            error = true;
            break;
        }
    }
    modelLabel_->setText(text);
    modelLabel_->setStyleSheet(error ? kErrorStyle : QString());
}

void ServerPanel::showStatus(const QString &text, bool error)
{
    statusLabel_->setText(text);
    statusLabel_->setStyleSheet(error ? kErrorStyle : QString());
}

QString ServerPanel::summary() const
{
    if (!server_->isRunning())
        return startError_.isEmpty() ? tr("Server stopped") : tr("Server failed to start");
    switch (server_->modelState()) {
    case ModelState::Loading:
        return tr("Server running at %1 (loading the model)").arg(server_->url().toString());
    case ModelState::Failed:
        return tr("Server running at %1 (the model failed to load)").arg(server_->url().toString());
    case ModelState::None:
    case ModelState::Ready:
        break;
    }
    return tr("Server running at %1").arg(server_->url().toString());
}

void ServerPanel::loadSettings()
{
    const ServerConfig defaults;
    QSettings s(QStringLiteral("SmartBot"), QStringLiteral("smartbot"));
    setConfigDir(s.value(settingKey("configDir"), defaultConfigDir()).toString());
    setModelDir(s.value(settingKey("modelDir")).toString());
    portSpin_->setValue(s.value(settingKey("port"), int(defaults.port)).toInt());
    bindEdit_->setText(s.value(settingKey("bindAddress"), defaults.bindAddress).toString());
    overrideCheck_->setChecked(s.value(settingKey("overrideNetwork"), false).toBool());
}

void ServerPanel::saveSettings(const QString &configDir, const http::ServerOverrides &used) const
{
    QSettings s(QStringLiteral("SmartBot"), QStringLiteral("smartbot"));
    s.setValue(settingKey("configDir"), configDir);
    s.setValue(settingKey("modelDir"), used.modelPath);
    s.setValue(settingKey("overrideNetwork"), overridesNetwork());
    if (overridesNetwork()) {
        s.setValue(settingKey("port"), used.port);
        s.setValue(settingKey("bindAddress"), used.bindAddress);
    }
}

void ServerPanel::browse(QLineEdit *edit, const QString &title)
{
    const QString dir = QFileDialog::getExistingDirectory(this, title, edit->text());
    if (!dir.isEmpty())
        edit->setText(QDir::toNativeSeparators(dir));
}

} // namespace smartbot::gui
