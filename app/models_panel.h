// ModelsPanel: the models an operator can serve and the one being served. Lists what the [model] folders of
// server.conf hold (each model's architecture, parameters, stored dtype, context, size on disk, chat template;
// read by engine::summarizeModel on a worker thread, without loading), beside the bundled demo model and the
// configured one; loads the chosen model into the running server as its default model, with a progress bar
// (SmartbotServer::loadModel: running generations finish on the model they began on), unloads it, and makes it the
// model loaded at start ([model] path and dtype in server.conf). Shows the loaded model's device, dtype, load time,
// weights and KV-cache memory and the process's resident memory. "Models in memory" lists every model the server
// holds (service/model_pool.h: the default, preloaded and on-demand ones, with state, memory, requests in flight and
// when the idle timer unloads it): a folder's model can be loaded beside the default one under its name (pinned, as
// POST /admin/models/load does), and any held model unloaded (gracefully: its requests finish). Threading: GUI thread
// (the in-process server lives there too); the folder scan runs on Qt's global thread pool.
#pragma once

#include <QFutureWatcher>
#include <QWidget>

#include <vector>

#include "smartbot/engine/model_summary.h"

class QComboBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;
class QTimer;

namespace smartbot::http {
class SmartbotServer;
}

namespace smartbot::gui {

class ModelsPanel : public QWidget {
    Q_OBJECT
public:
    // demoModel: the bundled demo model's folder (core/demo_model.h), listed beside the folders' models; may be "".
    ModelsPanel(http::SmartbotServer *server, const QString &demoModel, QWidget *parent = nullptr);
    ~ModelsPanel() override;

    void setConfigDir(const QString &dir);    // re-reads [model] of its server.conf and rescans
    int rowOf(const QString &name) const;     // the table row of a model by folder name; -1 when not listed
    int heldRowOf(const QString &name) const; // the "Models in memory" row of a model by name; -1 when not held

public Q_SLOTS:
    void rescan();
    bool loadSelected(); // into the running server
    void unload();
    bool useSelectedAtStart(); // [model] path (and dtype) in server.conf
    bool loadSelectedBeside(); // under its name, the default model staying as it is
    bool unloadSelectedHeld(); // the model chosen in "Models in memory"

Q_SIGNALS:
    void scanned(); // the table has been refilled
    void statusMessage(const QString &text);

protected:
    void changeEvent(QEvent *event) override;

private:
    struct Listed {
        QString path;
        engine::ModelSummary summary;
        QString error; // why it cannot be loaded; summary holds only path and name then
    };
    void retranslateUi();
    void fillTable();
    void updateLoaded();
    void fillHeld();
    QString selectedPath() const;
    QString selectedHeld() const;

    http::SmartbotServer *server_;
    QString demoModel_;
    QString configDir_;
    QString startModel_; // [model] path of server.conf (absolute), "" = the demo model, "none" = none
    QString startDtype_;
    QStringList folders_;
    std::vector<Listed> listed_;
    QFutureWatcher<std::vector<Listed>> scan_;
    bool rescanPending_ = false;

    QGroupBox *loadedGroup_ = nullptr;
    QFormLayout *loadedForm_ = nullptr;
    QLabel *stateLabel_ = nullptr;
    QProgressBar *progress_ = nullptr;
    QLabel *runtimeLabel_ = nullptr;
    QLabel *memoryLabel_ = nullptr;
    QPushButton *unloadButton_ = nullptr;
    QTimer *poll_ = nullptr;

    QGroupBox *heldGroup_ = nullptr;
    QTableWidget *heldTable_ = nullptr;
    QPushButton *unloadHeldButton_ = nullptr;

    QGroupBox *listGroup_ = nullptr;
    QLabel *foldersLabel_ = nullptr;
    QPushButton *rescanButton_ = nullptr;
    QTableWidget *table_ = nullptr;
    QLabel *dtypeLabel_ = nullptr;
    QComboBox *dtypeCombo_ = nullptr;
    QPushButton *loadButton_ = nullptr;
    QPushButton *startButton_ = nullptr;
    QPushButton *besideButton_ = nullptr;
    QLabel *startLabel_ = nullptr;
};

} // namespace smartbot::gui
