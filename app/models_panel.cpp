#include "app/models_panel.h"

#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <set>

#include "app/core_messages.h"
#include "app/panel_text.h"
#include "core/demo_model.h"
#include "core/metrics.h"
#include "core/server_config.h"
#include "core/server_config_edit.h"
#include "http/server/smartbot_server.h"
#include "service/model_pool.h"

namespace smartbot::gui {

namespace {

enum Column { Name, Use, Architecture, Parameters, Stored, Context, Size, Template, Folder, ColumnCount };

const char *const kColumnTitles[ColumnCount] = {
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "Name"),
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "In use"),
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "Architecture"),
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "Parameters"),
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "Weights"),
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "Context"),
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "On disk"),
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "Chat template"),
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "Folder"),
};

enum HeldColumn { HeldName, HeldState, HeldMemory, HeldRequests, HeldUntil, HeldColumnCount };

const char *const kHeldColumnTitles[HeldColumnCount] = {
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "Model"),
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "State"),
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "Memory"),
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "Requests"),
    QT_TRANSLATE_NOOP("smartbot::gui::ModelsPanel", "Kept"),
};

// The compute dtypes a load may ask for on this build (float16 needs CUDA: the engine refuses it on the CPU).
const char *const kDtypes[] = {"auto", "float32", "bfloat16", "float16"};

// 260K, 1.1M, 7.2B: how model sizes are spoken of.
QString countText(qint64 n)
{
    const std::pair<double, const char *> kUnits[] = {{1e9, "B"}, {1e6, "M"}, {1e3, "K"}};
    for (const auto &[scale, suffix] : kUnits)
        if (double(n) >= scale)
            return QLocale().toString(double(n) / scale, 'f', double(n) >= 100 * scale ? 0 : 1) + QLatin1String(suffix);
    return QString::number(n);
}

QString sameFile(const QString &path)
{
    return path.isEmpty() ? QString() : QFileInfo(path).canonicalFilePath();
}

} // namespace

ModelsPanel::ModelsPanel(http::SmartbotServer *server, const QString &demoModel, QWidget *parent)
    : QWidget(parent), server_(server), demoModel_(demoModel)
{
    stateLabel_ = new QLabel(this);
    stateLabel_->setObjectName(QStringLiteral("modelStateLabel"));
    stateLabel_->setWordWrap(true);
    stateLabel_->setTextFormat(Qt::PlainText);
    progress_ = new QProgressBar(this);
    progress_->setObjectName(QStringLiteral("modelLoadProgress"));
    progress_->setRange(0, 100);
    progress_->setVisible(false);
    runtimeLabel_ = new QLabel(this);
    runtimeLabel_->setObjectName(QStringLiteral("modelRuntimeLabel"));
    runtimeLabel_->setWordWrap(true);
    runtimeLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    memoryLabel_ = new QLabel(this);
    memoryLabel_->setObjectName(QStringLiteral("modelMemoryLabel"));
    memoryLabel_->setWordWrap(true);
    memoryLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    unloadButton_ = new QPushButton(this);
    unloadButton_->setObjectName(QStringLiteral("unloadModelButton"));
    loadedGroup_ = new QGroupBox(this);
    auto *loadedRow = new QHBoxLayout(loadedGroup_);
    loadedForm_ = new QFormLayout;
    loadedForm_->addRow(new QLabel(this), stateLabel_);
    loadedForm_->addRow(QString(), progress_);
    loadedForm_->addRow(new QLabel(this), runtimeLabel_);
    loadedForm_->addRow(new QLabel(this), memoryLabel_);
    loadedRow->addLayout(loadedForm_, 1);
    loadedRow->addWidget(unloadButton_, 0, Qt::AlignTop);

    heldTable_ = new QTableWidget(0, HeldColumnCount, this);
    heldTable_->setObjectName(QStringLiteral("heldModelsTable"));
    heldTable_->setSelectionBehavior(QAbstractItemView::SelectRows);
    heldTable_->setSelectionMode(QAbstractItemView::SingleSelection);
    heldTable_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    heldTable_->verticalHeader()->setVisible(false);
    heldTable_->horizontalHeader()->setStretchLastSection(true);
    heldTable_->setMaximumHeight(150);
    unloadHeldButton_ = new QPushButton(this);
    unloadHeldButton_->setObjectName(QStringLiteral("unloadHeldButton"));
    heldGroup_ = new QGroupBox(this);
    auto *heldRow = new QHBoxLayout(heldGroup_);
    heldRow->addWidget(heldTable_, 1);
    heldRow->addWidget(unloadHeldButton_, 0, Qt::AlignTop);

    foldersLabel_ = new QLabel(this);
    foldersLabel_->setObjectName(QStringLiteral("modelFoldersLabel"));
    foldersLabel_->setWordWrap(true);
    foldersLabel_->setTextFormat(Qt::PlainText);
    foldersLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    rescanButton_ = new QPushButton(this);
    rescanButton_->setObjectName(QStringLiteral("rescanModelsButton"));
    table_ = new QTableWidget(0, ColumnCount, this);
    table_->setObjectName(QStringLiteral("modelsTable"));
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->setVisible(false);
    table_->horizontalHeader()->setStretchLastSection(true);
    dtypeLabel_ = new QLabel(this);
    dtypeCombo_ = new QComboBox(this);
    dtypeCombo_->setObjectName(QStringLiteral("modelDtypeCombo"));
    for (const char *dtype : kDtypes)
        dtypeCombo_->addItem(QLatin1String(dtype), QLatin1String(dtype));
    loadButton_ = new QPushButton(this);
    loadButton_->setObjectName(QStringLiteral("loadModelButton"));
    startButton_ = new QPushButton(this);
    startButton_->setObjectName(QStringLiteral("useAtStartButton"));
    besideButton_ = new QPushButton(this);
    besideButton_->setObjectName(QStringLiteral("loadBesideButton"));
    startLabel_ = new QLabel(this);
    startLabel_->setObjectName(QStringLiteral("modelAtStartLabel"));
    startLabel_->setWordWrap(true);
    startLabel_->setTextFormat(Qt::PlainText);

    listGroup_ = new QGroupBox(this);
    auto *listLayout = new QVBoxLayout(listGroup_);
    auto *foldersRow = new QHBoxLayout;
    foldersRow->addWidget(foldersLabel_, 1);
    foldersRow->addWidget(rescanButton_, 0, Qt::AlignTop);
    listLayout->addLayout(foldersRow);
    listLayout->addWidget(table_, 1);
    auto *actions = new QHBoxLayout;
    actions->addWidget(dtypeLabel_);
    actions->addWidget(dtypeCombo_);
    actions->addWidget(loadButton_);
    actions->addWidget(besideButton_);
    actions->addWidget(startButton_);
    actions->addStretch(1);
    listLayout->addLayout(actions);
    listLayout->addWidget(startLabel_);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(loadedGroup_);
    layout->addWidget(heldGroup_);
    layout->addWidget(listGroup_, 1);

    poll_ = new QTimer(this);
    connect(poll_, &QTimer::timeout, this, &ModelsPanel::updateLoaded);
    connect(server_, &http::SmartbotServer::modelStateChanged, this, [this] {
        const QString loaded = sameFile(server_->modelPath());
        const bool listed = loaded.isEmpty() || std::any_of(listed_.begin(), listed_.end(), [&](const Listed &l) {
                                return sameFile(l.path) == loaded;
                            });
        if (!listed)
            rescan(); // a model given on the command line or in the Server panel, outside the folders
        fillTable();  // the "in use" column
    });
    connect(server_, &http::SmartbotServer::runningChanged, this, [this] {
        updateLoaded();
        fillTable();
    });
    connect(rescanButton_, &QPushButton::clicked, this, &ModelsPanel::rescan);
    connect(loadButton_, &QPushButton::clicked, this, &ModelsPanel::loadSelected);
    connect(unloadButton_, &QPushButton::clicked, this, &ModelsPanel::unload);
    connect(startButton_, &QPushButton::clicked, this, &ModelsPanel::useSelectedAtStart);
    connect(besideButton_, &QPushButton::clicked, this, &ModelsPanel::loadSelectedBeside);
    connect(unloadHeldButton_, &QPushButton::clicked, this, &ModelsPanel::unloadSelectedHeld);
    connect(heldTable_, &QTableWidget::itemSelectionChanged, this,
            [this] { unloadHeldButton_->setEnabled(server_->isRunning() && !selectedHeld().isEmpty()); });
    connect(table_, &QTableWidget::itemSelectionChanged, this, &ModelsPanel::updateLoaded);
    connect(&scan_, &QFutureWatcher<std::vector<Listed>>::finished, this, [this] {
        listed_ = scan_.result();
        fillTable();
        Q_EMIT scanned();
        if (rescanPending_) {
            rescanPending_ = false;
            rescan();
        }
    });
    retranslateUi();
}

ModelsPanel::~ModelsPanel()
{
    scan_.waitForFinished();
}

void ModelsPanel::retranslateUi()
{
    loadedGroup_->setTitle(tr("Model being served"));
    setRowLabel(loadedForm_, stateLabel_, tr("State:"));
    setRowLabel(loadedForm_, runtimeLabel_, tr("Runs on:"));
    setRowLabel(loadedForm_, memoryLabel_, tr("Memory:"));
    unloadButton_->setText(tr("Unload"));
    unloadButton_->setToolTip(tr("Frees the model's memory; chat requests answer 503 until a model is loaded."));
    heldGroup_->setTitle(tr("Models in memory"));
    QStringList heldTitles;
    for (const char *title : kHeldColumnTitles)
        heldTitles << tr(title);
    heldTable_->setHorizontalHeaderLabels(heldTitles);
    unloadHeldButton_->setText(tr("Unload"));
    unloadHeldButton_->setToolTip(tr("Frees the chosen model's memory once its requests have finished; requests "
                                     "naming it later load it again when it is in the folders."));
    listGroup_->setTitle(tr("Models"));
    rescanButton_->setText(tr("Rescan"));
    QStringList titles;
    for (const char *title : kColumnTitles)
        titles << tr(title);
    table_->setHorizontalHeaderLabels(titles);
    dtypeLabel_->setText(tr("Compute dtype:"));
    dtypeCombo_->setToolTip(tr("auto: bfloat16 on CUDA; on the CPU bfloat16 for bfloat16 weights when the CPU "
                               "computes in bfloat16 natively, else float32. float16 needs CUDA."));
    loadButton_->setText(tr("Load now"));
    loadButton_->setToolTip(tr("Loads the chosen model into the running server in place of the current one "
                               "(requests being answered end). Not saved."));
    besideButton_->setText(tr("Load beside"));
    besideButton_->setToolTip(tr("Loads the chosen model under its name beside the one being served, and keeps it "
                                 "loaded: requests naming it are answered by it."));
    startButton_->setText(tr("Load at start"));
    startButton_->setToolTip(tr("Saves the chosen model and dtype as [model] path and dtype in server.conf."));
    fillTable();
    updateLoaded();
}

void ModelsPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslateUi();
    QWidget::changeEvent(event);
}

void ModelsPanel::setConfigDir(const QString &dir)
{
    configDir_ = dir.isEmpty() ? QString() : QDir::fromNativeSeparators(dir);
    folders_.clear();
    startModel_.clear();
    startDtype_ = ServerConfig{}.dtype;
    if (!configDir_.isEmpty()) {
        auto parsed = ServerConfig::readOrDefaults(configDir_);
        if (parsed) {
            folders_ = parsed->modelFolders;
            startModel_ = parsed->modelPath;
            startDtype_ = parsed->dtype;
        }
    }
    const int dtype = dtypeCombo_->findData(startDtype_);
    dtypeCombo_->setCurrentIndex(dtype < 0 ? 0 : dtype);
    rescan();
}

void ModelsPanel::rescan()
{
    if (scan_.isRunning()) {
        rescanPending_ = true;
        return;
    }
    QStringList singles; // models named directly, listed even when outside the folders
    for (const QString &path : {demoModel_, startModel_, server_->isRunning() ? server_->modelPath() : QString()})
        if (!path.isEmpty() && path != QLatin1String(kNoModel))
            singles << path;
    foldersLabel_->setText(
        folders_.isEmpty() ? tr("No model folders: set [model] folders in server.conf.")
                           : tr("Models in: %1").arg(QDir::toNativeSeparators(folders_.join(QStringLiteral(", ")))));
    scan_.setFuture(QtConcurrent::run([folders = folders_, singles]() {
        std::vector<std::string> paths;
        for (const QString &folder : folders)
            for (const std::string &found : engine::findModelFolders(QFile::encodeName(folder).toStdString()))
                paths.push_back(found);
        for (const QString &single : singles)
            paths.push_back(QFile::encodeName(QFileInfo(single).absoluteFilePath()).toStdString());
        std::vector<Listed> out;
        std::set<QString> seen;
        for (const std::string &path : paths) {
            const QString key = QFileInfo(QFile::decodeName(path.c_str())).canonicalFilePath();
            if (!seen.insert(key.isEmpty() ? QFile::decodeName(path.c_str()) : key).second)
                continue;
            Listed l;
            l.path = QFile::decodeName(path.c_str());
            auto summary = engine::summarizeModel(path);
            if (summary) {
                l.summary = summary.value();
            } else {
                l.summary.name = QFileInfo(l.path).fileName().toStdString();
                l.error = QString::fromStdString(summary.error());
            }
            out.push_back(std::move(l));
        }
        return out;
    }));
}

void ModelsPanel::fillTable()
{
    const QString selected = selectedPath();
    const QString loaded = server_->isRunning() ? sameFile(server_->modelPath()) : QString();
    const QString atStart = sameFile(startModel_.isEmpty() ? demoModel_ : startModel_);
    table_->setRowCount(0);
    for (const Listed &l : listed_) {
        const int row = table_->rowCount();
        table_->insertRow(row);
        const engine::ModelSummary &s = l.summary;
        QStringList use;
        if (!loaded.isEmpty() && sameFile(l.path) == loaded)
            use << tr("loaded");
        if (!atStart.isEmpty() && sameFile(l.path) == atStart)
            use << tr("at start");
        const QLocale locale;
        const QString cells[ColumnCount] = {
            QString::fromStdString(s.name),
            use.join(QStringLiteral(", ")),
            l.error.isEmpty() ? QString::fromStdString(s.architecture) : tr("cannot be loaded: %1").arg(l.error),
            l.error.isEmpty() ? countText(s.parameters) : QString(),
            QString::fromStdString(s.storedDtype),
            l.error.isEmpty() ? locale.toString(qlonglong(s.contextLength)) : QString(),
            l.error.isEmpty() ? bytesText(s.bytesOnDisk) : QString(),
            l.error.isEmpty() ? (s.chatTemplate ? tr("yes") : tr("no (plain prompts)")) : QString(),
            QDir::toNativeSeparators(l.path),
        };
        for (int c = 0; c < ColumnCount; ++c) {
            auto *item = new QTableWidgetItem(cells[c]);
            item->setData(Qt::UserRole, l.path);
            if (!l.error.isEmpty())
                item->setForeground(QColor(0xc0, 0x39, 0x2b));
            if (c == Parameters)
                item->setToolTip(locale.toString(qlonglong(s.parameters)));
            table_->setItem(row, c, item);
        }
        if (l.path == selected)
            table_->selectRow(row);
    }
    table_->resizeColumnsToContents();
    startLabel_->setText(
        startModel_ == QLatin1String(kNoModel) ? tr("At start: no model ([model] path = none).")
        : startModel_.isEmpty()
            ? tr("At start: the demo model (no [model] path in server.conf).")
            : tr("At start: %1 (server.conf), dtype %2.").arg(QDir::toNativeSeparators(startModel_), startDtype_));
    updateLoaded();
}

int ModelsPanel::rowOf(const QString &name) const
{
    for (int r = 0; r < table_->rowCount(); ++r)
        if (table_->item(r, Name)->text() == name)
            return r;
    return -1;
}

QString ModelsPanel::selectedPath() const
{
    const auto rows = table_->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : table_->item(rows.first().row(), Name)->data(Qt::UserRole).toString();
}

void ModelsPanel::updateLoaded()
{
    using State = service::InferenceWorker::ModelState;
    const bool running = server_->isRunning();
    const State state = running ? server_->modelState() : State::None;
    const engine::ModelInfo info = server_->modelInfo();
    const QString name = QFileInfo(server_->modelPath()).fileName();
    progress_->setVisible(state == State::Loading);
    if (state == State::Loading)
        progress_->setValue(int(server_->modelLoadProgress() * 100 + 0.5));
    else if (state == State::Ready)
        progress_->setValue(100);
    // Poll while running: the progress of a load, and memory figures as requests come and go.
    if (running && isVisible())
        poll_->start(state == State::Loading ? 100 : 1000);
    else if (state != State::Loading)
        poll_->stop();

    const QLocale locale;
    const auto mib = [](qint64 bytes) { return bytesText(bytes); };
    if (!running)
        stateLabel_->setText(tr("The server is stopped: start it to load a model."));
    else if (state == State::Loading)
        stateLabel_->setText(tr("%1: loading…").arg(name));
    else if (state == State::Ready)
        stateLabel_->setText(tr("%1: ready").arg(QString::fromStdString(info.name)));
    else if (state == State::Failed)
        stateLabel_->setText(tr("%1: failed to load: %2").arg(name, server_->modelError()));
    else
        stateLabel_->setText(tr("No model loaded: chat requests answer 503."));
    if (state == State::Ready) {
        const engine::KvMemoryStats kv = server_->kvMemory();
        runtimeLabel_->setText(tr("%1, %2; %3 parameters; context %4 tokens; loaded in %5 ms")
                                   .arg(QString::fromStdString(info.device), QString::fromStdString(info.dtype),
                                        countText(info.parameters), locale.toString(info.contextLength))
                                   .arg(qRound(info.loadSeconds * 1000)));
        memoryLabel_->setText(tr("weights %1; KV cache %2 of %3 in use; %n request(s) in flight; process %4 "
                                 "resident",
                                 nullptr, server_->requestsInFlight())
                                  .arg(mib(info.weightBytes), mib(kv.sequenceBytes + kv.prefixBytes),
                                       mib(kv.budgetBytes), mib(qint64(processResidentBytes()))));
    } else {
        runtimeLabel_->setText(tr("—"));
        memoryLabel_->setText(running ? tr("process %1 resident").arg(mib(qint64(processResidentBytes()))) : tr("—"));
    }
    unloadButton_->setEnabled(running && (state == State::Ready || state == State::Failed));
    const bool chosen = !selectedPath().isEmpty();
    loadButton_->setEnabled(running && chosen && state != State::Loading);
    besideButton_->setEnabled(running && chosen);
    fillHeld();
    startButton_->setEnabled(chosen && !configDir_.isEmpty());
}

bool ModelsPanel::loadSelected()
{
    const QString path = selectedPath();
    if (path.isEmpty() || !server_->isRunning())
        return false;
    // No question when requests are running: the switch is graceful (ModelPool::setDefault), they finish on the
    // model they started on.
    if (auto r = server_->loadModel(path, dtypeCombo_->currentData().toString()); !r) {
        stateLabel_->setText(localizedMessage(r.error()));
        return false;
    }
    Q_EMIT statusMessage(tr("Loading %1…").arg(QFileInfo(path).fileName()));
    updateLoaded();
    // The bar stays up until the next poll even when the load finished first: a small model loads in a few
    // milliseconds on the worker thread, and the click would otherwise show nothing at all (and whether it showed
    // would depend on thread timing).
    progress_->setVisible(true);
    poll_->start(100);
    return true;
}

void ModelsPanel::unload()
{
    server_->unloadModel();
    Q_EMIT statusMessage(tr("Model unloaded"));
}

void ModelsPanel::fillHeld()
{
    using State = service::InferenceWorker::ModelState;
    const QString selected = selectedHeld();
    heldTable_->setRowCount(0);
    service::ModelPool *pool = server_->isRunning() ? server_->models() : nullptr;
    if (pool) {
        const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
        for (const service::ModelPool::Status &m : pool->loaded()) {
            const int row = heldTable_->rowCount();
            heldTable_->insertRow(row);
            QString state = m.state == State::Loading  ? tr("loading %1%").arg(qRound(m.progress * 100))
                            : m.state == State::Ready  ? tr("ready")
                            : m.state == State::Failed ? tr("failed: %1").arg(m.error)
                                                       : tr("not loaded");
            if (m.swapping)
                state += tr(" (new version loading)");
            if (m.isDefault)
                state += tr(" (default)");
            const QString kept = m.unloadAtMs > 0 ? tr("%n s more if idle", nullptr,
                                                       int(std::max<qint64>(0, m.unloadAtMs - nowMs) / 1000))
                                                  : tr("until unloaded");
            const QString cells[HeldColumnCount] = {m.name, state, bytesText(m.memoryBytes),
                                                    QLocale().toString(m.inFlight), kept};
            for (int c = 0; c < HeldColumnCount; ++c) {
                auto *item = new QTableWidgetItem(cells[c]);
                item->setData(Qt::UserRole, m.name);
                if (c == HeldName)
                    item->setToolTip(QDir::toNativeSeparators(m.path));
                heldTable_->setItem(row, c, item);
            }
            if (m.name == selected)
                heldTable_->selectRow(row);
        }
    }
    heldTable_->resizeColumnsToContents();
    unloadHeldButton_->setEnabled(pool && !selectedHeld().isEmpty());
}

QString ModelsPanel::selectedHeld() const
{
    const auto rows = heldTable_->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : heldTable_->item(rows.first().row(), HeldName)->data(Qt::UserRole).toString();
}

int ModelsPanel::heldRowOf(const QString &name) const
{
    for (int r = 0; r < heldTable_->rowCount(); ++r)
        if (heldTable_->item(r, HeldName)->data(Qt::UserRole).toString() == name)
            return r;
    return -1;
}

bool ModelsPanel::loadSelectedBeside()
{
    const QString path = selectedPath();
    service::ModelPool *pool = server_->isRunning() ? server_->models() : nullptr;
    if (path.isEmpty() || !pool)
        return false;
    const QString name = service::ModelPool::nameOf(path);
    if (name == pool->defaultName()) { // the same name would replace it (a hot swap): that is "Load now"
        Q_EMIT statusMessage(tr("%1 is the name of the model being served: use Load now to replace it").arg(name));
        return false;
    }
    engine::LoadOptions options = pool->optionsFor(name);
    options.dtype = dtypeCombo_->currentData().toString().toStdString();
    if (auto r = pool->load(name, path, true, &options); !r) {
        Q_EMIT statusMessage(localizedMessage(r.error()));
        return false;
    }
    Q_EMIT statusMessage(tr("Loading %1 beside the model being served…").arg(name));
    fillHeld();
    poll_->start(100);
    return true;
}

bool ModelsPanel::unloadSelectedHeld()
{
    const QString name = selectedHeld();
    service::ModelPool *pool = server_->isRunning() ? server_->models() : nullptr;
    if (name.isEmpty() || !pool)
        return false;
    if (name == pool->defaultName())
        server_->unloadModel();
    else if (auto r = pool->unload(name); !r) {
        Q_EMIT statusMessage(localizedMessage(r.error()));
        return false;
    }
    Q_EMIT statusMessage(tr("%1 unloaded").arg(name));
    fillHeld();
    return true;
}

bool ModelsPanel::useSelectedAtStart()
{
    const QString path = selectedPath();
    if (path.isEmpty() || configDir_.isEmpty())
        return false;
    // Inside the config folder: stored relative, so the folder can move (a backup restored elsewhere).
    const QString relative = QDir(configDir_).relativeFilePath(path);
    const QString stored = relative.startsWith(QLatin1String("..")) ? path : relative;
    const QString dtype = dtypeCombo_->currentData().toString();
    auto saved = applyServerConfChanges(configDir_, {{QStringLiteral("model"), QStringLiteral("path"), stored},
                                                     {QStringLiteral("model"), QStringLiteral("dtype"), dtype}});
    if (!saved) {
        startLabel_->setText(QString::fromStdString(saved.error()));
        return false;
    }
    startModel_ = saved->modelPath;
    startDtype_ = saved->dtype;
    fillTable();
    Q_EMIT statusMessage(tr("%1 will be loaded at start").arg(QFileInfo(path).fileName()));
    return true;
}

} // namespace smartbot::gui
