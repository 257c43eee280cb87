#include "app/providers_group.h"

#include <QDateTime>
#include <algorithm>
#include <QDir>
#include <QEvent>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "app/provider_key_store.h"
#include "core/config_file.h"
#include "core/server_config.h"
#include "http/server/smartbot_server.h"
#include "relay/provider_relay.h"

namespace smartbot::gui {

namespace {
enum Column { Name, Address, Models, Key, State, ColumnCount };
const char *const kColumnTitles[ColumnCount] = {
    QT_TRANSLATE_NOOP("smartbot::gui::ProvidersGroup", "Provider"),
    QT_TRANSLATE_NOOP("smartbot::gui::ProvidersGroup", "Address"),
    QT_TRANSLATE_NOOP("smartbot::gui::ProvidersGroup", "Models"),
    QT_TRANSLATE_NOOP("smartbot::gui::ProvidersGroup", "Platform key"),
    QT_TRANSLATE_NOOP("smartbot::gui::ProvidersGroup", "State"),
};
} // namespace

ProvidersGroup::ProvidersGroup(http::SmartbotServer *server, QWidget *parent) : QGroupBox(parent), server_(server)
{
    setObjectName(QStringLiteral("providersGroup"));
    table_ = new QTableWidget(0, ColumnCount, this);
    table_->setObjectName(QStringLiteral("providersTable"));
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->setVisible(false);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setMaximumHeight(120);
    connect(table_, &QTableWidget::itemSelectionChanged, this, [this] {
        if (const auto rows = table_->selectionModel()->selectedRows(); !rows.isEmpty())
            fillForm(rows.first().row());
    });

    nameEdit_ = new QLineEdit(this);
    nameEdit_->setObjectName(QStringLiteral("providerNameEdit"));
    urlEdit_ = new QLineEdit(this);
    urlEdit_->setObjectName(QStringLiteral("providerUrlEdit"));
    modelsEdit_ = new QLineEdit(this);
    modelsEdit_->setObjectName(QStringLiteral("providerModelsEdit"));
    keyEdit_ = new QLineEdit(this);
    keyEdit_->setObjectName(QStringLiteral("providerKeyEdit"));
    keyEdit_->setEchoMode(QLineEdit::Password);
    saveButton_ = new QPushButton(this);
    saveButton_->setObjectName(QStringLiteral("saveProviderButton"));
    testButton_ = new QPushButton(this);
    testButton_->setObjectName(QStringLiteral("testProviderButton"));
    removeButton_ = new QPushButton(this);
    removeButton_->setObjectName(QStringLiteral("removeProviderButton"));
    resultLabel_ = new QLabel(this);
    resultLabel_->setObjectName(QStringLiteral("providerTestLabel"));
    resultLabel_->setWordWrap(true);
    resultLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    connect(saveButton_, &QPushButton::clicked, this, &ProvidersGroup::save);
    connect(testButton_, &QPushButton::clicked, this, &ProvidersGroup::test);
    connect(removeButton_, &QPushButton::clicked, this, &ProvidersGroup::remove);
    nameLabel_ = new QLabel(this);
    urlLabel_ = new QLabel(this);
    modelsLabel_ = new QLabel(this);
    keyLabel_ = new QLabel(this);

    auto *form = new QFormLayout;
    auto *firstRow = new QHBoxLayout;
    firstRow->addWidget(nameEdit_, 1);
    firstRow->addWidget(modelsLabel_);
    firstRow->addWidget(modelsEdit_, 2);
    form->addRow(nameLabel_, firstRow);
    form->addRow(urlLabel_, urlEdit_);
    auto *keyRow = new QHBoxLayout;
    keyRow->addWidget(keyEdit_, 1);
    keyRow->addWidget(testButton_);
    keyRow->addWidget(saveButton_);
    keyRow->addWidget(removeButton_);
    form->addRow(keyLabel_, keyRow);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(table_);
    layout->addLayout(form);
    layout->addWidget(resultLabel_);

    connect(server_, &http::SmartbotServer::runningChanged, this, &ProvidersGroup::refresh);
    retranslateUi();
}

ProvidersGroup::~ProvidersGroup() = default;

void ProvidersGroup::setConfigDir(const QString &dir)
{
    configDir_ = dir;
    refresh();
}

int ProvidersGroup::rowOf(const QString &name) const
{
    for (int r = 0; r < table_->rowCount(); ++r)
        if (table_->item(r, Name)->text() == name)
            return r;
    return -1;
}

void ProvidersGroup::refresh()
{
    table_->setRowCount(0);
    if (configDir_.isEmpty())
        return;
    auto config = ServerConfig::readOrDefaults(configDir_);
    if (!config) {
        resultLabel_->setText(QString::fromStdString(config.error()));
        return;
    }
    std::vector<relay::ProviderRelay::Status> running;
    if (relay::ProviderRelay *relay = server_->providerRelay())
        running = relay->status();
    const app::ProviderKeyStore keys(configDir_);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const ProviderConfig &p : config->providers) {
        QStringList urls;
        for (const QUrl &u : p.baseUrls)
            urls << u.toString();
        QString keyText;
        if (auto key = keys.load(p.name); !key) {
            keyText = tr("not set");
        } else {
            const QDateTime setAt = key->setAt.isValid() ? key->setAt : now;
            keyText = tr("set %1").arg(setAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd")));
            if (config->keyRotationDays > 0 && setAt.daysTo(now) >= config->keyRotationDays)
                keyText += QStringLiteral(" · ") + tr("rotation due");
        }
        QString state = server_->isRunning() ? tr("not loaded (restart the server)") : tr("server stopped");
        for (const auto &s : running)
            if (s.name == p.name) {
                static const char *const kCircuit[] = {
                    QT_TRANSLATE_NOOP("smartbot::gui::ProvidersGroup", "ready"),
                    QT_TRANSLATE_NOOP("smartbot::gui::ProvidersGroup", "circuit open"),
                    QT_TRANSLATE_NOOP("smartbot::gui::ProvidersGroup", "trying again")};
                state = tr(kCircuit[int(s.circuit)]);
                if (s.inFlight > 0)
                    state += QStringLiteral(" · ") + tr("%n in flight", nullptr, s.inFlight);
            }
        const int row = table_->rowCount();
        table_->insertRow(row);
        const QString cells[ColumnCount] = {
            p.name, urls.join(QStringLiteral(", ")),
            p.discoverModels ? QStringLiteral("*") : p.models.join(QStringLiteral(", ")), keyText, state};
        for (int c = 0; c < ColumnCount; ++c)
            table_->setItem(row, c, new QTableWidgetItem(cells[c]));
    }
    table_->resizeColumnsToContents();
}

void ProvidersGroup::fillForm(int row)
{
    nameEdit_->setText(table_->item(row, Name)->text());
    urlEdit_->setText(table_->item(row, Address)->text());
    modelsEdit_->setText(table_->item(row, Models)->text());
    keyEdit_->clear();
    keyEdit_->setPlaceholderText(tr("unchanged (type a new key to rotate it)"));
}

bool ProvidersGroup::save()
{
    const QString name = nameEdit_->text().trimmed();
    const QString section = QStringLiteral("provider.") + name;
    const QString path = QDir(configDir_).filePath(QStringLiteral("server.conf"));
    auto file = ConfigFile::read(path);
    ConfigFile edited = file ? file.value() : ConfigFile::fromText(ServerConfig::defaultConfigText());
    edited.setValue(section, QStringLiteral("base_url"), urlEdit_->text().trimmed());
    edited.setValue(section, QStringLiteral("models"), modelsEdit_->text().trimmed());
    // Checked as the server's start will check it, before anything is written.
    if (auto checked = ServerConfig::parse(edited, configDir_); !checked) {
        resultLabel_->setText(QString::fromStdString(checked.error()));
        return false;
    }
    const QByteArray key = keyEdit_->text().trimmed().toUtf8();
    const app::ProviderKeyStore keys(configDir_);
    if (key.isEmpty() && !keys.load(name)) {
        resultLabel_->setText(tr("Type the platform key of %1: it is needed to reach the provider.").arg(name));
        return false;
    }
    if (auto written = edited.write(path); !written) {
        resultLabel_->setText(QString::fromStdString(written.error()));
        return false;
    }
    QString where;
    if (!key.isEmpty()) {
        auto stored = keys.save(name, key, QDateTime::currentDateTimeUtc());
        if (!stored) {
            resultLabel_->setText(QString::fromStdString(stored.error()));
            return false;
        }
        where = stored.value();
        keyEdit_->clear();
    }
    resultLabel_->setText(where.isEmpty()
                              ? tr("Saved %1 in server.conf. The server uses it from its next start.").arg(name)
                              : tr("Saved %1 in server.conf and its key in %2. The server uses them from "
                                   "its next start.")
                                    .arg(name, where));
    Q_EMIT statusMessage(tr("Provider %1 saved").arg(name));
    refresh();
    return true;
}

void ProvidersGroup::remove()
{
    const QString name = nameEdit_->text().trimmed();
    const QString path = QDir(configDir_).filePath(QStringLiteral("server.conf"));
    auto file = ConfigFile::read(path);
    const QString section = QStringLiteral("provider.") + name;
    const QStringList keys = file ? file->keys() : QStringList();
    if (name.isEmpty() || std::none_of(keys.begin(), keys.end(),
                                       [&](const QString &k) { return k.startsWith(section + QLatin1Char('/')); })) {
        resultLabel_->setText(tr("There is no provider %1 in server.conf.").arg(name));
        return;
    }
    QMessageBox question(QMessageBox::Question, tr("Remove the provider?"),
                         tr("Remove %1 from server.conf and forget its platform key? Requests for %1/… fail from "
                            "the server's next start.")
                             .arg(name),
                         QMessageBox::Yes | QMessageBox::No, this);
    question.setObjectName(QStringLiteral("removeProviderQuestion"));
    question.setDefaultButton(QMessageBox::No);
    if (question.exec() != QMessageBox::Yes)
        return;
    // The key first: should that fail, the section is still there and Remove can be tried again.
    if (auto forgotten = app::ProviderKeyStore(configDir_).remove(name); !forgotten) {
        resultLabel_->setText(QString::fromStdString(forgotten.error()));
        return;
    }
    ConfigFile edited = file.value();
    edited.removeSection(section);
    if (auto written = edited.write(path); !written) {
        resultLabel_->setText(QString::fromStdString(written.error()));
        return;
    }
    nameEdit_->clear();
    urlEdit_->clear();
    modelsEdit_->clear();
    keyEdit_->clear();
    resultLabel_->setText(
        tr("Removed %1 and its platform key. The server stops using it at its next start.").arg(name));
    Q_EMIT statusMessage(tr("Provider %1 removed").arg(name));
    refresh();
}

void ProvidersGroup::test()
{
    const QString name = nameEdit_->text().trimmed().isEmpty() ? QStringLiteral("test") : nameEdit_->text().trimmed();
    ConfigFile file = ConfigFile::fromText(QStringLiteral("[provider.%1]\n").arg(name));
    file.setValue(QStringLiteral("provider.") + name, QStringLiteral("base_url"), urlEdit_->text().trimmed());
    file.setValue(QStringLiteral("provider.") + name, QStringLiteral("models"), QStringLiteral("*"));
    file.setValue(QStringLiteral("provider.") + name, QStringLiteral("retries"), QStringLiteral("0"));
    auto providers = parseProviders(file, configDir_);
    if (!providers) {
        resultLabel_->setText(QString::fromStdString(providers.error()));
        return Q_EMIT tested(false);
    }
    ProviderKey key{keyEdit_->text().trimmed().toUtf8(), QDateTime::currentDateTimeUtc()};
    if (key.key.isEmpty()) {
        auto stored = app::ProviderKeyStore(configDir_).load(name);
        if (!stored) {
            resultLabel_->setText(tr("Type the platform key to test with."));
            return Q_EMIT tested(false);
        }
        key = stored.value();
    }
    testButton_->setEnabled(false);
    resultLabel_->setText(tr("Asking %1 for its models…").arg(urlEdit_->text().trimmed()));
    testRelay_ = std::make_unique<relay::ProviderRelay>(
        providers.value(), configDir_, QMap<QString, ProviderKey>{{name, key}}, relay::ProviderRelay::Mode::OneShot);
    testRelay_->listUpstreamModels(name, [this](const Result<QStringList> &ids) {
        testButton_->setEnabled(true);
        if (ids)
            resultLabel_->setText(tr("Connected: the provider lists %n model(s): %1", nullptr, int(ids->size()))
                                      .arg(ids->mid(0, 8).join(QStringLiteral(", "))));
        else
            resultLabel_->setText(tr("Not connected: %1").arg(QString::fromStdString(ids.error())));
        testRelay_.release()->deleteLater(); // not from inside its own call, and before a slot may test again
        Q_EMIT tested(ids.ok());
    });
}

void ProvidersGroup::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange) {
        retranslateUi();
        refresh();
    }
    QGroupBox::changeEvent(event);
}

void ProvidersGroup::retranslateUi()
{
    setTitle(tr("Upstream providers"));
    QStringList titles;
    for (const char *t : kColumnTitles)
        titles << tr(t);
    table_->setHorizontalHeaderLabels(titles);
    nameLabel_->setText(tr("Name:"));
    urlLabel_->setText(tr("Address:"));
    modelsLabel_->setText(tr("Models:"));
    keyLabel_->setText(tr("Platform key:"));
    nameEdit_->setPlaceholderText(tr("e.g. openai (clients ask for openai/MODEL)"));
    urlEdit_->setPlaceholderText(tr("https://api.example.com/v1 (several: separated by commas)"));
    modelsEdit_->setPlaceholderText(tr("gpt-4o-mini, … or * for all"));
    keyEdit_->setPlaceholderText(
        tr("kept in the OS keychain (without one: providers/NAME.env, mode 600), never in server.conf"));
    saveButton_->setText(tr("Save"));
    testButton_->setText(tr("Test connection"));
    removeButton_->setText(tr("Remove"));
}

} // namespace smartbot::gui
