// ModelPool: the models this server serves, by name, each on its own InferenceWorker (own thread, own batch).
//
// - The default model ([model] path, --model, or the app's choice) serves requests that name no model; the models
//   named by [model] preload are loaded at start. Neither is unloaded by the idle timer.
// - Any other model found in [model] folders is loaded when a request names it (the request waits in the new
//   worker's queue while it loads) and unloaded after keep_alive seconds without requests.
// - Loading a model under a name that is loaded is a hot swap: the new version loads beside the old one, which
//   keeps serving; once the new one is ready new requests go to it, and the old one finishes what it has (every
//   in-flight request answered normally) and is freed after its last reply. A failed new version leaves the old one
//   serving. Unloading is graceful in the same way: no new requests, in-flight ones finish.
// - Memory: a model counts as its weights plus its KV-cache budget (before it loads, an estimate from its files:
//   the bytes on disk, doubled for 16-bit weights computed in float32). A load that would take the total over the
//   budget first unloads idle on-demand models, least recently used first, and is refused when that is not enough.
//   Retiring versions count until they are freed, so a hot swap needs room for both versions.
//
// Threading: a QObject of the server thread; every method is called there (routes, admin, the desktop app through
// SmartbotServer). The workers' threads never call in: their state changes arrive as queued signals.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <chrono>
#include <map>
#include <memory>
#include <vector>

#include "service/inference_worker.h"
#include "smartbot/common/result.h"

namespace smartbot::service {

class ModelPool : public QObject {
    Q_OBJECT
public:
    struct Settings {
        int maxQueue = 256; // per model (InferenceWorker)
        int maxBatch = 64;
        engine::LoadOptions load;     // every model's options ([model] threads, kv_cache_mb, dtype, ...)
        QStringList folders;          // where named models are found ([model] folders), absolute
        int keepAliveSeconds = 300;   // idle on-demand models are unloaded after this; < 0: never
        qint64 memoryBudgetBytes = 0; // 0: the physical memory (what cannot fit in RAM at all is refused)
        // One model's own settings ([model.NAME], core/model_options.h), by name: its options instead of load and
        // keepAliveSeconds, and where it is (empty: found in folders; else it is available under that name).
        struct PerModel {
            QString path;
            engine::LoadOptions load;
            int keepAliveSeconds = 300;
        };
        std::map<QString, PerModel> models;
    };
    // A model held in memory (or loading), for GET /admin/models, /v1/models and the desktop app.
    struct Status {
        QString name, path;
        InferenceWorker::ModelState state = InferenceWorker::ModelState::None;
        double progress = 0;    // of the load, 0..1
        qint64 memoryBytes = 0; // counted against the budget (an estimate until loaded)
        bool isDefault = false, pinned = false;
        int inFlight = 0;       // requests queued or running on the serving version
        int retiring = 0;       // older versions still finishing requests
        bool swapping = false;  // a new version is loading beside the serving one
        qint64 readyAt = 0;     // seconds since the epoch when the serving version became ready
        qint64 lastUsedMs = 0;  // since the epoch
        qint64 unloadAtMs = 0;  // when the idle timer unloads it (0: never)
        QString error;          // why the last load (or swap) failed
        engine::ModelInfo info; // of the serving version, once ready
    };
    struct Available {
        QString name, path;
    };

    explicit ModelPool(Settings settings, QObject *parent = nullptr);
    ~ModelPool() override;

    // Loads path as the default model (pinned); the previous default, if another model, is unloaded gracefully. Under
    // the same name: a hot swap. Errors: a path that does not hold a model, or no memory room (see load()).
    Result<QString> setDefault(const QString &path, const engine::LoadOptions &options);
    Result<QString> setDefault(const QString &path) { return setDefault(path, optionsFor(nameOf(path))); }
    // Unloads the default model gracefully; requests naming no model then get model_not_loaded.
    void clearDefault();
    InferenceWorker *defaultWorker() const; // the serving version of the default model; null when none
    QString defaultName() const;

    // The worker that serves a request naming `name` ("" = the default model), loading an available model on
    // demand. Its error code says what the HTTP layer answers:
    //   NotFound        no such model (neither loaded nor in [model] folders)
    //   Failed          the model failed to load (the message says why)
    //   Unavailable     the memory budget is held by models that are busy: try again later
    //   InvalidArgument the model alone is larger than the memory budget
    Result<InferenceWorker *> acquire(const QString &name);
    // Loads (or reloads: hot swap) the model called name, from path or, when path is empty, from where it was
    // loaded or from [model] folders. pin: keep it loaded (preload, admin loads). Errors as acquire's.
    // options: the engine's (null: those it was loaded with before, or Settings::load).
    Result<void> load(const QString &name, const QString &path = {}, bool pin = true,
                      const engine::LoadOptions *options = nullptr);
    // Unloads name gracefully. NotFound when it is not loaded.
    Result<void> unload(const QString &name);

    std::vector<Status> loaded() const; // default first, then by name
    // The models in [model] folders and the [model.NAME] sections with a path (cached for two seconds).
    std::vector<Available> available() const;
    Result<QString> pathOf(const QString &name) const; // where available() finds name
    qint64 memoryBudget() const { return budget_; }
    qint64 memoryUsed() const;
    int inFlight() const; // requests queued or running on every worker, retiring ones too
    int models() const;   // loaded or loading
    void publishMetrics() const;
    // Stops every worker (queued and running requests are dropped, see InferenceWorker::shutdown).
    void shutdown();

    // What a model called name loads with, and how long it may stay idle: its [model.NAME] settings, else [model]'s.
    engine::LoadOptions optionsFor(const QString &name) const;
    int keepAliveFor(const QString &name) const;

    // The name a model at path is served under: its folder's name, or a GGUF file's without .gguf.
    static QString nameOf(const QString &path);
    // The models in folders (each read as Engine::load would, unreadable ones left out), by name; the first folder
    // listed wins a name. What available() caches; `smartbotd config check` checks [model] preload with it.
    static std::vector<Available> scanFolders(const QStringList &folders);

Q_SIGNALS:
    void modelsChanged(); // a model began loading, became ready, failed, was swapped or unloaded

private:
    struct Entry {
        QString name, path;
        engine::LoadOptions options;
        std::unique_ptr<InferenceWorker> current; // serving (or loading, the first time)
        std::unique_ptr<InferenceWorker> next;    // a new version loading beside current
        QString nextPath;
        qint64 estimate = 0;     // bytes of current before it is ready
        qint64 nextEstimate = 0; // of next
        bool pinned = false;
        int keepAliveSeconds = 300; // keepAliveFor(name) when it was loaded
        std::chrono::steady_clock::time_point lastUsed;
        QString error;
    };
    Entry *find(const QString &name);
    const Entry *find(const QString &name) const;
    void startWorker(std::unique_ptr<InferenceWorker> &slot, const QString &path, const engine::LoadOptions &options);
    Result<void> makeRoom(qint64 bytes, const Entry *keep);
    qint64 bytesOf(const Entry &e) const;
    static qint64 bytesOf(const InferenceWorker &w, qint64 estimate);
    qint64 estimate(const QString &path, const engine::LoadOptions &options) const; // 0: not a readable model
    void retire(std::unique_ptr<InferenceWorker> worker, const QString &name, qint64 estimate);
    void workerChanged(InferenceWorker *w); // w's state changed: finish a swap, log, tell listeners
    bool freeFinished();                    // frees retired workers with nothing in flight; true when one was
    void sweep();                           // freeFinished(), and unloads idle on-demand models (keep_alive)

    Settings settings_;
    qint64 budget_ = 0;
    std::vector<std::unique_ptr<Entry>> entries_;
    QString defaultName_;
    struct Retired {
        std::unique_ptr<InferenceWorker> worker;
        QString name;    // the pool's name for it
        qint64 estimate; // counted while it is still loading
    };
    std::vector<Retired> retiring_;
    QTimer sweeper_;
    mutable std::vector<Available> catalog_;
    mutable std::chrono::steady_clock::time_point catalogAt_;
};

} // namespace smartbot::service
