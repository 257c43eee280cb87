#include "app/backups_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTableWidget>
#include <QThread>
#include <QThreadPool>
#include <QVBoxLayout>

#include "app/core_messages.h"
#include "app/panel_text.h"
#include "backup/backup.h"
#include "core/config_file.h"
#include "core/server_config.h"
#include "core/server_config_edit.h"
#include "http/server/smartbot_server.h"

namespace smartbot::gui {

namespace {
enum Column { File, Created, Size, Members, Secrets, Models, ColumnCount };
const char *const kColumnTitles[ColumnCount] = {
    QT_TRANSLATE_NOOP("smartbot::gui::BackupsPanel", "File"),
    QT_TRANSLATE_NOOP("smartbot::gui::BackupsPanel", "Created"),
    QT_TRANSLATE_NOOP("smartbot::gui::BackupsPanel", "Size"),
    QT_TRANSLATE_NOOP("smartbot::gui::BackupsPanel", "Members"),
    QT_TRANSLATE_NOOP("smartbot::gui::BackupsPanel", "Key files"),
    QT_TRANSLATE_NOOP("smartbot::gui::BackupsPanel", "Models"),
};
const char *const kSchedules[] = {"off", "hourly", "daily"};
} // namespace

BackupsPanel::BackupsPanel(http::SmartbotServer *server, QWidget *parent) : QWidget(parent), server_(server)
{
    folderLabel_ = new QLabel(this);
    folderLabel_->setObjectName(QStringLiteral("backupFolderLabel"));
    folderLabel_->setWordWrap(true);
    folderLabel_->setTextFormat(Qt::PlainText);
    refreshButton_ = new QPushButton(this);
    table_ = new QTableWidget(0, ColumnCount, this);
    table_->setObjectName(QStringLiteral("backupsTable"));
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->setVisible(false);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setMinimumHeight(120);
    listGroup_ = new QGroupBox(this);
    auto *listLayout = new QVBoxLayout(listGroup_);
    auto *top = new QHBoxLayout;
    top->addWidget(folderLabel_, 1);
    top->addWidget(refreshButton_, 0, Qt::AlignTop);
    listLayout->addLayout(top);
    listLayout->addWidget(table_, 1);

    passphraseEdit_ = new QLineEdit(this);
    passphraseEdit_->setObjectName(QStringLiteral("backupPassphraseEdit"));
    passphraseEdit_->setEchoMode(QLineEdit::Password);
    modelsCheck_ = new QCheckBox(this);
    modelsCheck_->setObjectName(QStringLiteral("backupModelsCheck"));
    createButton_ = new QPushButton(this);
    createButton_->setObjectName(QStringLiteral("createBackupButton"));
    verifyButton_ = new QPushButton(this);
    verifyButton_->setObjectName(QStringLiteral("verifyBackupButton"));
    buttonsRow_ = new QWidget(this);
    auto *buttons = new QHBoxLayout(buttonsRow_);
    buttons->setContentsMargins(0, 0, 0, 0);
    buttons->addWidget(modelsCheck_);
    buttons->addStretch(1);
    buttons->addWidget(createButton_);
    buttons->addWidget(verifyButton_);
    restoreEdit_ = new QLineEdit(this);
    restoreEdit_->setObjectName(QStringLiteral("restoreFolderEdit"));
    restoreBrowse_ = new QPushButton(this);
    restoreButton_ = new QPushButton(this);
    restoreButton_->setObjectName(QStringLiteral("restoreBackupButton"));
    restoreRow_ = new QWidget(this);
    auto *restoreLayout = new QHBoxLayout(restoreRow_);
    restoreLayout->setContentsMargins(0, 0, 0, 0);
    restoreLayout->addWidget(restoreEdit_, 1);
    restoreLayout->addWidget(restoreBrowse_);
    restoreLayout->addWidget(restoreButton_);
    progress_ = new QProgressBar(this);
    progress_->setObjectName(QStringLiteral("backupProgress"));
    progress_->setRange(0, 100);
    progress_->setVisible(false);
    result_ = new QLabel(this);
    result_->setObjectName(QStringLiteral("backupResult"));
    result_->setWordWrap(true);
    result_->setTextFormat(Qt::PlainText);
    result_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    actionsGroup_ = new QGroupBox(this);
    actionsForm_ = new QFormLayout(actionsGroup_);
    actionsForm_->addRow(new QLabel(this), passphraseEdit_);
    actionsForm_->addRow(QString(), buttonsRow_);
    actionsForm_->addRow(new QLabel(this), restoreRow_);
    actionsForm_->addRow(QString(), progress_);
    actionsForm_->addRow(QString(), result_);

    scheduleCombo_ = new QComboBox(this);
    scheduleCombo_->setObjectName(QStringLiteral("backupScheduleCombo"));
    for (const char *s : kSchedules)
        scheduleCombo_->addItem(QString(), QLatin1String(s));
    keepSpin_ = new QSpinBox(this);
    keepSpin_->setObjectName(QStringLiteral("backupKeepSpin"));
    keepSpin_->setRange(1, 10000);
    passFileEdit_ = new QLineEdit(this);
    passFileEdit_->setObjectName(QStringLiteral("backupPassFileEdit"));
    saveScheduleButton_ = new QPushButton(this);
    saveScheduleButton_->setObjectName(QStringLiteral("saveScheduleButton"));
    scheduleGroup_ = new QGroupBox(this);
    scheduleForm_ = new QFormLayout(scheduleGroup_);
    scheduleForm_->addRow(new QLabel(this), scheduleCombo_);
    scheduleForm_->addRow(new QLabel(this), keepSpin_);
    scheduleForm_->addRow(new QLabel(this), passFileEdit_);
    scheduleForm_->addRow(QString(), saveScheduleButton_);

    auto *content = new QWidget(this);
    auto *contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    for (QGroupBox *g : {listGroup_, actionsGroup_, scheduleGroup_}) {
        g->setParent(content);
        contentLayout->addWidget(g, g == listGroup_ ? 1 : 0);
    }
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(scroll);

    connect(refreshButton_, &QPushButton::clicked, this, &BackupsPanel::refresh);
    connect(createButton_, &QPushButton::clicked, this, &BackupsPanel::createBackup);
    connect(verifyButton_, &QPushButton::clicked, this, &BackupsPanel::verifySelected);
    connect(restoreButton_, &QPushButton::clicked, this, [this] { restoreSelected(false); });
    connect(restoreBrowse_, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Restore into"), restoreEdit_->text());
        if (!dir.isEmpty())
            restoreEdit_->setText(QDir::toNativeSeparators(dir));
    });
    connect(saveScheduleButton_, &QPushButton::clicked, this, &BackupsPanel::saveSchedule);
    connect(table_, &QTableWidget::itemSelectionChanged, this, [this] { setBusy(busy_); });
    retranslateUi();
    setBusy(false);
}

BackupsPanel::~BackupsPanel()
{
    while (*inFlight_ > 0) // the work refers to nothing of the panel, but a half-written archive helps no one
        QThread::msleep(20);
}

void BackupsPanel::retranslateUi()
{
    listGroup_->setTitle(tr("Backups"));
    refreshButton_->setText(tr("Refresh"));
    QStringList titles;
    for (const char *t : kColumnTitles)
        titles << tr(t);
    table_->setHorizontalHeaderLabels(titles);
    actionsGroup_->setTitle(tr("Create, verify, restore"));
    setRowLabel(actionsForm_, passphraseEdit_, tr("Passphrase:"));
    passphraseEdit_->setPlaceholderText(tr("Seals the key files; empty: [backup] passphrase_file, else they are "
                                           "left out"));
    modelsCheck_->setText(tr("Include the model folders"));
    createButton_->setText(tr("Create backup"));
    verifyButton_->setText(tr("Verify"));
    verifyButton_->setToolTip(tr("Reads the chosen backup whole and checks every member (with the passphrase: the "
                                 "sealed key files too)."));
    setRowLabel(actionsForm_, restoreRow_, tr("Restore into:"));
    restoreEdit_->setPlaceholderText(tr("A new, empty folder (the running server's folder is not replaced)"));
    restoreBrowse_->setText(tr("Browse…"));
    restoreButton_->setText(tr("Restore"));
    scheduleGroup_->setTitle(tr("Schedule (server.conf [backup], from the next start)"));
    setRowLabel(scheduleForm_, scheduleCombo_, tr("Back up:"));
    const char *const names[] = {QT_TR_NOOP("never"), QT_TR_NOOP("every hour"), QT_TR_NOOP("every day")};
    for (int i = 0; i < scheduleCombo_->count(); ++i)
        scheduleCombo_->setItemText(i, tr(names[i]));
    setRowLabel(scheduleForm_, keepSpin_, tr("Keep the newest:"));
    setRowLabel(scheduleForm_, passFileEdit_, tr("Passphrase file:"));
    passFileEdit_->setPlaceholderText(tr("e.g. backup.pass (mode 600; relative to the config folder)"));
    saveScheduleButton_->setText(tr("Save"));
    readConfig();
}

void BackupsPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslateUi();
    QWidget::changeEvent(event);
}

void BackupsPanel::setConfigDir(const QString &dir)
{
    configDir_ = dir.isEmpty() ? QString() : QDir::fromNativeSeparators(dir);
    readConfig();
}

void BackupsPanel::readConfig()
{
    backupDir_.clear();
    ServerConfig defaults;
    if (!configDir_.isEmpty()) {
        auto file = ConfigFile::read(QDir(configDir_).filePath(QStringLiteral("server.conf")));
        auto parsed = ServerConfig::parse(file ? file.value() : ConfigFile::fromText(ServerConfig::defaultConfigText()),
                                          configDir_);
        if (parsed) {
            defaults = parsed.value();
            backupDir_ = parsed->backupDir;
            if (file) // as written (relative stays relative)
                passFileEdit_->setText(file->value(QStringLiteral("backup"), QStringLiteral("passphrase_file")));
        }
    }
    scheduleCombo_->setCurrentIndex(qMax(0, scheduleCombo_->findData(defaults.backupSchedule)));
    keepSpin_->setValue(defaults.backupKeep);
    // A suggestion beside the config folder, replaced when the folder changes unless the user typed another.
    const QString suggestion =
        configDir_.isEmpty() ? QString() : QDir::toNativeSeparators(configDir_ + QStringLiteral("-restored"));
    if (restoreEdit_->text().isEmpty() || restoreEdit_->text() == restoreSuggestion_)
        restoreEdit_->setText(suggestion);
    restoreSuggestion_ = suggestion;
    folderLabel_->setText(backupDir_.isEmpty() ? tr("Choose a config folder in the Server panel.")
                                               : tr("In %1").arg(QDir::toNativeSeparators(backupDir_)));
    refresh();
}

void BackupsPanel::refresh()
{
    const QString selected = selectedPath();
    table_->setRowCount(0);
    if (backupDir_.isEmpty())
        return;
    for (const backup::BackupSummary &s : backup::listBackups(backupDir_)) {
        const int row = table_->rowCount();
        table_->insertRow(row);
        const QString secrets = s.encrypted ? tr("sealed")
                                : s.secretsLeftOut.isEmpty()
                                    ? tr("none")
                                    : tr("left out: %1").arg(s.secretsLeftOut.join(QStringLiteral(", ")));
        const QString cells[ColumnCount] = {QFileInfo(s.path).fileName(),
                                            timeText(s.created.toSecsSinceEpoch()),
                                            bytesText(s.bytes),
                                            QString::number(s.members),
                                            secrets,
                                            s.withModels ? tr("yes") : tr("no")};
        for (int c = 0; c < ColumnCount; ++c) {
            auto *item = new QTableWidgetItem(cells[c]);
            item->setData(Qt::UserRole, s.path);
            table_->setItem(row, c, item);
        }
        if (s.path == selected)
            table_->selectRow(row);
    }
    table_->resizeColumnsToContents();
    setBusy(busy_);
}

QString BackupsPanel::selectedPath() const
{
    const auto rows = table_->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : table_->item(rows.first().row(), File)->data(Qt::UserRole).toString();
}

QString BackupsPanel::resultText() const
{
    return result_->text();
}

void BackupsPanel::setBusy(bool busy)
{
    busy_ = busy;
    const bool chosen = !selectedPath().isEmpty();
    createButton_->setEnabled(!busy && !configDir_.isEmpty());
    verifyButton_->setEnabled(!busy && chosen);
    restoreButton_->setEnabled(!busy && chosen);
    progress_->setVisible(busy);
}

void BackupsPanel::showResult(bool ok, const QString &text)
{
    QPalette palette = result_->palette();
    palette.setColor(QPalette::WindowText, ok ? QColor(0x1e, 0x84, 0x49) : QColor(0xc0, 0x39, 0x2b));
    result_->setPalette(palette);
    result_->setText(text);
}

void BackupsPanel::runInBackground(
    const QString &what,
    std::function<std::pair<bool, QString>(const std::function<void(double, const QString &)> &)> work)
{
    setBusy(true);
    progress_->setValue(0);
    showResult(true, what);
    ++*inFlight_;
    QPointer<BackupsPanel> self(this);
    QThreadPool::globalInstance()->start([self, work = std::move(work), inFlight = inFlight_] {
        const auto progress = [self](double fraction, const QString &) {
            if (self)
                QMetaObject::invokeMethod(
                    self.data(), [self, fraction] { self->progress_->setValue(int(fraction * 100 + 0.5)); },
                    Qt::QueuedConnection);
        };
        const auto [ok, text] = work(progress);
        backup::releaseThreadCrypto();
        if (self)
            QMetaObject::invokeMethod(
                self.data(),
                [self, ok = ok, text = text] {
                    self->setBusy(false);
                    self->showResult(ok, text);
                    self->refresh();
                    Q_EMIT self->finished(ok, text);
                    Q_EMIT self->statusMessage(text);
                },
                Qt::QueuedConnection);
        --*inFlight;
    });
}

void BackupsPanel::createBackup()
{
    if (configDir_.isEmpty() || busy_)
        return;
    auto config = ServerConfig::readOrDefaults(configDir_);
    if (!config) {
        showResult(false, QString::fromStdString(config.error()));
        return;
    }
    const QByteArray passphrase = passphraseEdit_->text().toUtf8();
    const bool withModels = modelsCheck_->isChecked();
    auditGuiAction(server_, QStringLiteral("backup.create"), withModels ? QStringLiteral("with models") : QString());
    runInBackground(tr("Creating a backup…"), [config = config.value(), passphrase, withModels](const auto &progress) {
        auto made =
            backup::makeServerBackup(config, passphrase, withModels, QCoreApplication::applicationVersion(), progress);
        if (!made)
            return std::pair{false, tr("Backup failed: %1").arg(localizedMessage(made.error()))};
        return std::pair{
            true, made->secretsLeftOut.isEmpty()
                      ? tr("Backup %1 created (%2).").arg(QFileInfo(made->path).fileName(), bytesText(made->bytes))
                      : tr("Backup %1 created (%2) without the key files (%3): give a passphrase to "
                           "include them.")
                            .arg(QFileInfo(made->path).fileName(), bytesText(made->bytes),
                                 made->secretsLeftOut.join(QStringLiteral(", ")))};
    });
}

void BackupsPanel::verifySelected()
{
    const QString path = selectedPath();
    if (path.isEmpty() || busy_)
        return;
    QByteArray passphrase = passphraseEdit_->text().toUtf8();
    runInBackground(tr("Verifying %1…").arg(QFileInfo(path).fileName()), [path, passphrase](const auto &progress) {
        auto report = backup::verifyBackup(path, passphrase, progress);
        if (!report)
            return std::pair{false, tr("Damaged: %1").arg(localizedMessage(report.error()))};
        return std::pair{true, report->secretsChecked
                                   ? tr("%1 is intact: every member matches.").arg(QFileInfo(path).fileName())
                                   : tr("%1 is intact; the sealed key files were not opened (no passphrase).")
                                         .arg(QFileInfo(path).fileName())};
    });
}

void BackupsPanel::restoreSelected(bool force)
{
    const QString path = selectedPath();
    const QString target = QDir::fromNativeSeparators(restoreEdit_->text().trimmed());
    if (path.isEmpty() || busy_)
        return;
    if (target.isEmpty()) {
        showResult(false, tr("Choose the folder to restore into."));
        return;
    }
    if (server_->isRunning() && QFileInfo(target) == QFileInfo(server_->config().configDir)) {
        showResult(false, tr("The running server uses %1: restore into another folder, then start from it.")
                              .arg(QDir::toNativeSeparators(target)));
        return;
    }
    const bool occupied =
        QFileInfo(target).isDir() && !QDir(target).isEmpty(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
    if (occupied && !force && isVisible()) {
        force = QMessageBox::question(this, tr("Restore over a folder?"),
                                      tr("%1 is not empty. Move it aside (renamed with .before-restore and the "
                                         "time) and restore there?")
                                          .arg(QDir::toNativeSeparators(target))) == QMessageBox::Yes;
        if (!force)
            return;
    }
    backup::RestoreOptions o;
    o.archive = path;
    o.configDir = target;
    o.passphrase = passphraseEdit_->text().toUtf8();
    o.force = force;
    auditGuiAction(server_, QStringLiteral("backup.restore"),
                   QStringLiteral("%1 into %2").arg(QFileInfo(path).fileName(), target));
    runInBackground(tr("Restoring %1…").arg(QFileInfo(path).fileName()), [o](const auto &progress) mutable {
        o.onProgress = progress;
        auto report = backup::restoreBackup(o);
        if (!report)
            return std::pair{false, tr("Not restored: %1").arg(localizedMessage(report.error()))};
        QString text = tr("Restored into %1; choose it as the config folder in the Server panel to run from it.")
                           .arg(QDir::toNativeSeparators(o.configDir));
        if (!report->movedAside.isEmpty())
            text += QLatin1Char(' ') +
                    tr("The folder that was there is now %1.").arg(QDir::toNativeSeparators(report->movedAside));
        return std::pair{true, text};
    });
}

bool BackupsPanel::saveSchedule()
{
    if (configDir_.isEmpty())
        return false;
    auto saved = applyServerConfChanges(
        configDir_, {{QStringLiteral("backup"), QStringLiteral("schedule"), scheduleCombo_->currentData().toString()},
                     {QStringLiteral("backup"), QStringLiteral("keep"), QString::number(keepSpin_->value())},
                     {QStringLiteral("backup"), QStringLiteral("passphrase_file"), passFileEdit_->text().trimmed()}});
    if (!saved) {
        showResult(false, QString::fromStdString(saved.error()));
        return false;
    }
    showResult(true, server_->isRunning() ? tr("Schedule saved; the server follows it after a restart.")
                                          : tr("Schedule saved."));
    Q_EMIT statusMessage(tr("Backup schedule saved to server.conf"));
    return true;
}

} // namespace smartbot::gui
