#include "app/network_panel.h"

#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include "app/core_messages.h"
#include "core/server_config.h"
#include "core/server_config_edit.h"
#include "http/server/smartbot_server.h"

namespace smartbot::gui {

namespace {
QString confPath(const QString &dir)
{
    return QDir(dir).filePath(QStringLiteral("server.conf"));
}
// Shown on the field the start-up check complains about.
const QString kBadFieldStyle = QStringLiteral("QLineEdit { background: #fde2e1; }");
} // namespace

NetworkPanel::NetworkPanel(http::SmartbotServer *server, QWidget *parent) : QWidget(parent), server_(server)
{
    buildUi();
    retranslateUi();
    connect(server_, &http::SmartbotServer::runningChanged, this, [this](bool running) {
        started_ = ConfigFile();
        if (running) { // what the server read at start: saved values that differ from it need a restart
            auto read = ConfigFile::read(confPath(server_->config().configDir));
            if (read)
                started_ = read.value();
        }
        updateRestartMarks();
        validate();
    });
    setConfigDir(ServerConfig{}.configDir);
}

void NetworkPanel::buildUi()
{
    // Groups of fields, in the order an operator thinks of them; every key is one the start-up check reads.
    static const char *const kGroups[] = {QT_TR_NOOP("Listening"), QT_TR_NOOP("Who may connect"),
                                          QT_TR_NOOP("Request sizes and timeouts"), QT_TR_NOOP("Connections and queue"),
                                          QT_TR_NOOP("Rate limits")};
    fields_ = {
        {"network", "bind_address", QT_TR_NOOP("Bind address:"),
         QT_TR_NOOP("127.0.0.1: this machine only; 0.0.0.0: every IPv4 interface; :: IPv6 too."), 0},
        {"network", "port", QT_TR_NOOP("Port:"), QT_TR_NOOP("TCP port of the HTTP API (1-65535)."), 0},
        {"network", "allow", QT_TR_NOOP("Allow list:"),
         QT_TR_NOOP("Addresses or CIDR subnets allowed to connect, separated by commas, e.g. 192.168.1.0/24, "
                    "10.0.0.5. Empty: everyone. Others get 403."),
         1},
        {"network", "trusted_proxies", QT_TR_NOOP("Trusted proxies:"),
         QT_TR_NOOP("Reverse proxies whose X-Forwarded-For header is believed (addresses or subnets)."), 1},
        {"network", "cors_origins", QT_TR_NOOP("CORS origins:"),
         QT_TR_NOOP("Web pages (scheme://host[:port], separated by commas; * = any) whose scripts may call the "
                    "API. Empty: none."),
         1},
        {"network", "max_body_bytes", QT_TR_NOOP("Largest body (bytes):"), QT_TR_NOOP("Larger request bodies get 413."),
         2},
        {"network", "max_header_bytes", QT_TR_NOOP("Largest head (bytes):"),
         QT_TR_NOOP("Request line and headers; larger ones get 431."), 2},
        {"network", "request_timeout_s", QT_TR_NOOP("Request timeout (s):"),
         QT_TR_NOOP("Time to send one whole request once started (408 after it); also bounds the TLS handshake."), 2},
        {"network", "idle_timeout_s", QT_TR_NOOP("Idle timeout (s):"),
         QT_TR_NOOP("A keep-alive connection with no request in progress is closed after this."), 2},
        {"network", "first_byte_timeout_s", QT_TR_NOOP("First byte timeout (s):"),
         QT_TR_NOOP("A new connection that stays silent this long is closed."), 2},
        {"network", "drain_timeout_s", QT_TR_NOOP("Drain timeout (s):"),
         QT_TR_NOOP("A graceful stop waits at most this long for requests in flight."), 2},
        {"network", "max_connections", QT_TR_NOOP("Connections:"),
         QT_TR_NOOP("Most connections open at once; 0 = from the open-file limit (at most 4096)."), 3},
        {"network", "max_connections_per_address", QT_TR_NOOP("Per address:"),
         QT_TR_NOOP("Most connections from one client address (an IPv6 /64 is one); 0 = a quarter of the above."), 3},
        {"limits", "max_queue", QT_TR_NOOP("Queue:"),
         QT_TR_NOOP("Chat requests waiting for the model; more get 503 with Retry-After."), 3},
        {"limits", "max_sequences", QT_TR_NOOP("Batch size:"),
         QT_TR_NOOP("Sequences generated together (continuous batching)."), 3},
        {"limits", "requests_per_minute", QT_TR_NOOP("Requests per minute:"),
         QT_TR_NOOP("For each API key or token subject; 0 = no limit. Over it: 429."), 4},
        {"limits", "tokens_per_minute", QT_TR_NOOP("Tokens per minute:"),
         QT_TR_NOOP("Prompt and generated tokens for each key or subject; 0 = no limit."), 4},
    };

    intro_ = new QLabel(this);
    intro_->setObjectName(QStringLiteral("networkIntro"));
    intro_->setWordWrap(true);
    intro_->setTextFormat(Qt::PlainText);
    intro_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *content = new QWidget(this);
    auto *contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    for (const char *title : kGroups) {
        auto *group = new QGroupBox(content);
        group->setProperty("untranslated", QByteArray(title));
        auto *form = new QFormLayout(group);
        form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
        groups_.push_back(group);
        forms_.push_back(form);
        contentLayout->addWidget(group);
    }
    contentLayout->addStretch(1);
    for (Field &f : fields_) {
        f.edit = new QLineEdit(content);
        f.edit->setObjectName(QStringLiteral("%1_%2").arg(QLatin1String(f.section), QLatin1String(f.key)));
        forms_[size_t(f.group)]->addRow(new QLabel(content), f.edit);
        connect(f.edit, &QLineEdit::textEdited, this, &NetworkPanel::validate);
    }
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);

    message_ = new QLabel(this);
    message_->setObjectName(QStringLiteral("networkMessage"));
    message_->setWordWrap(true);
    message_->setTextFormat(Qt::PlainText);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    saveButton_ = new QPushButton(this);
    saveButton_->setObjectName(QStringLiteral("networkSaveButton"));
    revertButton_ = new QPushButton(this);
    revertButton_->setObjectName(QStringLiteral("networkRevertButton"));
    restartButton_ = new QPushButton(this);
    restartButton_->setObjectName(QStringLiteral("networkRestartButton"));
    restartButton_->setVisible(false);
    connect(saveButton_, &QPushButton::clicked, this, &NetworkPanel::save);
    connect(revertButton_, &QPushButton::clicked, this, &NetworkPanel::reload);
    connect(restartButton_, &QPushButton::clicked, this, &NetworkPanel::restartRequested);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(message_, 1);
    buttons->addWidget(restartButton_, 0, Qt::AlignTop);
    buttons->addWidget(revertButton_, 0, Qt::AlignTop);
    buttons->addWidget(saveButton_, 0, Qt::AlignTop);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro_);
    layout->addWidget(scroll, 1);
    layout->addLayout(buttons);
}

void NetworkPanel::retranslateUi()
{
    for (QGroupBox *group : groups_)
        group->setTitle(tr(group->property("untranslated").toByteArray().constData()));
    for (const Field &f : fields_)
        f.edit->setToolTip(tr(f.hint));
    saveButton_->setText(tr("Save"));
    revertButton_->setText(tr("Revert"));
    restartButton_->setText(tr("Restart server"));
    restartButton_->setToolTip(tr("Stops the server and starts it again with the saved settings."));
    intro_->setText(configDir_.isEmpty()
                        ? tr("Choose a config folder in the Server panel.")
                        : tr("[network] and [limits] of %1. Values are checked as you type, by the same rules "
                             "the server uses at start; they take effect when the server (re)starts.")
                              .arg(QDir::toNativeSeparators(confPath(configDir_))));
    updateRestartMarks();
    validate();
}

void NetworkPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslateUi();
    QWidget::changeEvent(event);
}

QLineEdit *NetworkPanel::field(const QString &section, const QString &key) const
{
    for (const Field &f : fields_)
        if (section == QLatin1String(f.section) && key == QLatin1String(f.key))
            return f.edit;
    return nullptr;
}

void NetworkPanel::setConfigDir(const QString &dir)
{
    configDir_ = dir.isEmpty() ? QString() : QDir::fromNativeSeparators(dir);
    reload();
    retranslateUi();
}

void NetworkPanel::reload()
{
    readError_.clear();
    const QString path = confPath(configDir_);
    if (!configDir_.isEmpty() && QFileInfo::exists(path)) {
        auto read = ConfigFile::read(path);
        if (read)
            file_ = read.value();
        else
            readError_ = QString::fromStdString(read.error());
    } else { // not created yet: the defaults the server would write
        file_ = ConfigFile::fromText(ServerConfig::defaultConfigText());
    }
    for (const Field &f : fields_) {
        const QString section = QLatin1String(f.section), key = QLatin1String(f.key);
        f.edit->setText(file_.value(section, key));
    }
    updateRestartMarks();
    validate();
}

ConfigFile NetworkPanel::edited() const
{
    ConfigFile file = file_;
    for (const Field &f : fields_) {
        const QString section = QLatin1String(f.section), key = QLatin1String(f.key);
        const QString value = f.edit->text().trimmed();
        if (value != file.value(section, key))
            file.setValue(section, key, value);
    }
    return file;
}

QString NetworkPanel::errorText() const
{
    if (!readError_.isEmpty())
        return readError_;
    auto parsed = ServerConfig::parse(edited(), configDir_);
    return parsed ? QString() : QString::fromStdString(parsed.error());
}

void NetworkPanel::validate()
{
    const QString error = errorText();
    bool changed = false;
    for (const Field &f : fields_) {
        // The start-up check names the key as "[section] key"; that field is the one to fix.
        const QString name = QStringLiteral("[%1] %2").arg(QLatin1String(f.section), QLatin1String(f.key));
        const bool bad =
            !error.isEmpty() && (error.contains(name + QLatin1Char(' ')) || error.contains(name + QLatin1Char(':')));
        f.edit->setStyleSheet(bad ? kBadFieldStyle : QString());
        changed = changed || f.edit->text().trimmed() != file_.value(QLatin1String(f.section), QLatin1String(f.key));
    }
    saveButton_->setEnabled(error.isEmpty() && changed && !configDir_.isEmpty());
    revertButton_->setEnabled(changed);
    QPalette palette = message_->palette();
    palette.setColor(QPalette::WindowText, error.isEmpty() ? palette.color(QPalette::Text) : QColor(0xc0, 0x39, 0x2b));
    message_->setPalette(palette);
    if (!error.isEmpty())
        message_->setText(localizedMessage(error));
    else if (changed)
        message_->setText(tr("Not saved yet."));
    else if (restartButton_->isVisible())
        message_->setText(tr("Values marked * are saved; the running server still uses the old ones until it "
                             "restarts."));
    else
        message_->setText(tr("Saved values are in effect."));
}

bool NetworkPanel::save()
{
    if (configDir_.isEmpty() || !errorText().isEmpty()) {
        validate();
        return false;
    }
    std::vector<SettingChange> changes; // only what was changed here: the rest of the file stays as it is now
    for (const Field &f : fields_) {
        const QString section = QLatin1String(f.section), key = QLatin1String(f.key);
        const QString value = f.edit->text().trimmed();
        if (value != file_.value(section, key))
            changes.push_back({section, key, value});
    }
    if (auto saved = applyServerConfChanges(configDir_, changes); !saved) {
        message_->setText(localizedMessage(saved.error()));
        return false;
    }
    qInfo("server.conf saved by the Network panel: %s", qPrintable(confPath(configDir_)));
    Q_EMIT statusMessage(tr("server.conf saved"));
    reload();
    return true;
}

void NetworkPanel::updateRestartMarks()
{
    const bool running = server_->isRunning() && !configDir_.isEmpty() &&
                         QFileInfo(server_->config().configDir) == QFileInfo(configDir_);
    bool pending = false;
    for (const Field &f : fields_) {
        const QString section = QLatin1String(f.section), key = QLatin1String(f.key);
        const bool differs = running && started_.value(section, key) != file_.value(section, key);
        pending = pending || differs;
        auto *label = qobject_cast<QLabel *>(forms_[size_t(f.group)]->labelForField(f.edit));
        if (label)
            label->setText(differs ? tr(f.label) + QStringLiteral(" *") : tr(f.label));
    }
    restartButton_->setVisible(pending);
}

} // namespace smartbot::gui
