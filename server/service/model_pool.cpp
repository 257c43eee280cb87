#include "service/model_pool.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>

#include "core/metrics.h"
#include "smartbot/common/units.h"
#include "smartbot/engine/model_summary.h"

namespace smartbot::service {

using Clock = std::chrono::steady_clock;
using State = InferenceWorker::ModelState;

namespace {
// How often retired versions are checked for their last reply and idle models for keep_alive: a freed version
// gives its memory back within this, and keep_alive is honoured to within it.
constexpr int kSweepMs = 250;
// available() reads every model's header; a client naming unknown models in a loop must not make each request
// rescan the folders.
constexpr auto kCatalogTtl = std::chrono::seconds(2);

QString mib(qint64 bytes)
{
    return QString::number(double(bytes) / kBytesPerMiB, 'f', 0) + QStringLiteral(" MiB");
}

qint64 msSinceEpoch(Clock::time_point t)
{
    return QDateTime::currentMSecsSinceEpoch() -
           std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}
} // namespace

ModelPool::ModelPool(Settings settings, QObject *parent) : QObject(parent), settings_(std::move(settings))
{
    budget_ = settings_.memoryBudgetBytes > 0 ? settings_.memoryBudgetBytes : engine::physicalMemoryBytes();
    sweeper_.setInterval(kSweepMs);
    connect(&sweeper_, &QTimer::timeout, this, &ModelPool::sweep);
    sweeper_.start();
}

ModelPool::~ModelPool()
{
    shutdown();
}

void ModelPool::shutdown()
{
    sweeper_.stop();
    for (auto &e : entries_) {
        if (e->next)
            e->next->shutdown();
        if (e->current)
            e->current->shutdown();
    }
    for (auto &r : retiring_)
        r.worker->shutdown();
    entries_.clear();
    retiring_.clear();
    defaultName_.clear();
}

QString ModelPool::nameOf(const QString &path)
{
    const QString clean = QDir::cleanPath(path); // "models/qwen/" is named "qwen", as the engine names it
    if (auto s = engine::summarizeModel(clean.toStdString()); s && !s->name.empty())
        return QString::fromStdString(s->name);
    QFileInfo info(clean);
    return info.suffix() == QLatin1String("gguf") ? info.completeBaseName() : info.fileName();
}

ModelPool::Entry *ModelPool::find(const QString &name)
{
    for (auto &e : entries_)
        if (e->name == name)
            return e.get();
    return nullptr;
}

const ModelPool::Entry *ModelPool::find(const QString &name) const
{
    return const_cast<ModelPool *>(this)->find(name);
}

void ModelPool::startWorker(std::unique_ptr<InferenceWorker> &slot, const QString &path,
                            const engine::LoadOptions &options)
{
    slot = std::make_unique<InferenceWorker>(settings_.maxQueue, nullptr, settings_.maxBatch);
    InferenceWorker *raw = slot.get();
    connect(raw, &InferenceWorker::modelStateChanged, this, [this, raw] { workerChanged(raw); });
    raw->loadModel(path, options); // in its slot first: the "loading" it announces is then seen where it belongs
}

qint64 ModelPool::estimate(const QString &path, const engine::LoadOptions &options) const
{
    auto s = engine::summarizeModel(path.toStdString());
    if (!s)
        return 0; // the load fails and its error says why
    qint64 weights = s->bytesOnDisk;
    const bool gguf = QString::fromStdString(s->path).endsWith(QLatin1String(".gguf")); // kept in its own types
    // Bytes per parameter of the blocks [model] quantize makes (Q8_0: 34 bytes per 32; Q4_K: 144 per 256, a few
    // matrices in Q6_K: 210 per 256).
    static const std::pair<const char *, double> kQuantized[] = {
        {"q8_0", 34.0 / 32}, {"q4_0", 18.0 / 32}, {"q4_k_m", 0.65}, {"q4_k", 0.65}};
    const auto q = std::find_if(std::begin(kQuantized), std::end(kQuantized),
                                [&](const auto &k) { return options.quantize == k.first; });
    if (!gguf && q != std::end(kQuantized)) {
        weights = qint64(double(s->parameters) * q->second);
    } else if (!gguf) {
        // 16-bit weights are widened to float32 unless the compute dtype stays 16-bit ("auto" may, on CPUs with
        // bfloat16 arithmetic: counted wide, so the budget holds either way).
        const bool half = s->storedDtype == "bfloat16" || s->storedDtype == "float16" || s->storedDtype == "mixed";
        if (half && options.dtype != "bfloat16" && options.dtype != "float16")
            weights *= 2;
    }
    const qint64 kv = options.kvCacheBytes > 0 ? options.kvCacheBytes : engine::physicalMemoryBytes() / 4;
    return weights + kv;
}

qint64 ModelPool::bytesOf(const InferenceWorker &w, qint64 estimate)
{
    if (w.modelState() != State::Ready)
        return w.modelState() == State::Loading ? estimate : 0;
    return w.modelInfo().weightBytes + w.kvMemory().budgetBytes;
}

qint64 ModelPool::bytesOf(const Entry &e) const
{
    qint64 sum = 0;
    if (e.current)
        sum += bytesOf(*e.current, e.estimate);
    if (e.next)
        sum += bytesOf(*e.next, e.nextEstimate);
    return sum;
}

qint64 ModelPool::memoryUsed() const
{
    qint64 sum = 0;
    for (const auto &e : entries_)
        sum += bytesOf(*e);
    for (const auto &r : retiring_) // until freed; a retired loading version counts what it will hold
        sum += bytesOf(*r.worker, r.estimate);
    return sum;
}

Result<void> ModelPool::makeRoom(qint64 bytes, const Entry *keep)
{
    if (bytes > budget_)
        return Error(QStringLiteral("the model needs about %1 (weights and KV cache); the memory budget is %2 ([model] "
                                    "memory_budget_mb, kv_cache_mb)")
                         .arg(mib(bytes), mib(budget_))
                         .toStdString(),
                     ErrorCode::InvalidArgument);
    if (keep && keep->current && keep->current->modelState() == State::Ready && bytesOf(*keep) + bytes > budget_)
        return Error(QStringLiteral("a new version of '%1' (about %2) does not fit beside the serving one (%3) in the "
                                    "memory budget (%4): unload it first, or raise [model] memory_budget_mb")
                         .arg(keep->name, mib(bytes), mib(bytesOf(*keep)), mib(budget_))
                         .toStdString(),
                     ErrorCode::InvalidArgument);
    while (memoryUsed() + bytes > budget_) {
        // The idle on-demand model used longest ago goes first.
        Entry *victim = nullptr;
        for (auto &e : entries_)
            if (e.get() != keep && !e->pinned && !e->next && e->current && e->current->inFlight() == 0 &&
                e->current->modelState() != State::Loading && (!victim || e->lastUsed < victim->lastUsed))
                victim = e.get();
        if (!victim) {
            QStringList holders;
            for (const auto &e : entries_)
                holders << QStringLiteral("%1 %2").arg(e->name, mib(bytesOf(*e)));
            return Error(
                QStringLiteral("the memory budget (%1) is held by models that cannot be unloaded now (default, "
                               "preloaded or busy: %2); this one needs about %3")
                    .arg(mib(budget_), holders.join(QStringLiteral(", ")), mib(bytes))
                    .toStdString(),
                ErrorCode::Unavailable);
        }
        qInfo("unloading model %s (idle) to make room", qPrintable(victim->name));
        (void)unload(victim->name);
        freeFinished(); // it has nothing in flight: its memory is given back now, not at the next sweep
    }
    return {};
}

Result<QString> ModelPool::setDefault(const QString &path, const engine::LoadOptions &options)
{
    if (auto s = engine::summarizeModel(QDir::cleanPath(path).toStdString()); !s)
        return Error(s.error(), ErrorCode::NotFound); // nothing changes for a path that holds no model
    const QString name = nameOf(path);
    const QString previous = defaultName_;
    auto r = load(name, path, true, &options);
    if (!r && r.code() == ErrorCode::Unavailable && previous != name && find(previous) &&
        find(previous)->current->inFlight() == 0) {
        // No room beside the idle previous default: it goes first (the desktop app's "load this one instead").
        (void)unload(previous);
        freeFinished();
        r = load(name, path, true, &options);
    }
    if (!r)
        return r.failure();
    defaultName_ = name;
    if (previous != name && find(previous))
        (void)unload(previous); // gracefully: its requests in flight finish on it
    Q_EMIT modelsChanged();
    return name;
}

void ModelPool::clearDefault()
{
    if (!defaultName_.isEmpty())
        (void)unload(defaultName_);
    defaultName_.clear();
}

InferenceWorker *ModelPool::defaultWorker() const
{
    const Entry *e = find(defaultName_);
    return e ? e->current.get() : nullptr;
}

QString ModelPool::defaultName() const
{
    return defaultName_;
}

Result<InferenceWorker *> ModelPool::acquire(const QString &name)
{
    const QString wanted = name.isEmpty() ? defaultName_ : name;
    if (wanted.isEmpty())
        return Error("no model is loaded", ErrorCode::Failed);
    Entry *e = find(wanted);
    if (!e || !e->current) {
        auto path = pathOf(wanted);
        if (!path)
            return path.failure();
        qInfo("loading model %s on demand", qPrintable(wanted));
        if (auto r = load(wanted, path.value(), false); !r)
            return r.failure();
        e = find(wanted);
    }
    if (e->current->modelState() == State::Failed && !e->pinned) {
        // An on-demand load that failed is tried again when asked for (its files may have been fixed); pinned models
        // are reloaded by the operator (POST /admin/models/load), who sees the error in /admin/models.
        qInfo("loading model %s on demand (its last load failed)", qPrintable(wanted));
        if (auto r = load(wanted, {}, false); !r)
            return r.failure();
        e = find(wanted);
    }
    if (e->current->modelState() == State::Failed)
        return Error(
            QStringLiteral("model '%1' failed to load: %2").arg(wanted, e->current->modelError()).toStdString(),
            ErrorCode::Failed);
    if (e->current->modelState() == State::None)
        return Error(QStringLiteral("model '%1' is not loaded").arg(wanted).toStdString(), ErrorCode::Failed);
    e->lastUsed = Clock::now();
    return e->current.get();
}

Result<void> ModelPool::load(const QString &name, const QString &path, bool pin, const engine::LoadOptions *withOptions)
{
    Entry *e = find(name);
    QString from = path;
    if (from.isEmpty() && e)
        from = e->path;
    if (from.isEmpty()) {
        auto found = pathOf(name);
        if (!found)
            return found.failure();
        from = found.value();
    }
    const engine::LoadOptions options = withOptions ? *withOptions : e ? e->options : optionsFor(name);
    if (e && e->current && e->current->modelState() == State::Loading && e->path == from && !e->next) {
        e->pinned = e->pinned || pin; // already on its way (a request began it, or a preload names the default)
        return {};
    }
    const qint64 bytes = estimate(from, options);
    if (auto room = makeRoom(bytes, e); !room)
        return room.failure();
    e = find(name); // makeRoom may have unloaded other entries
    if (!e) {
        entries_.push_back(std::make_unique<Entry>());
        e = entries_.back().get();
        e->name = name;
    }
    e->options = options;
    e->keepAliveSeconds = keepAliveFor(name);
    e->pinned = e->pinned || pin;
    e->error.clear();
    e->lastUsed = Clock::now();
    // The entry is complete before the worker starts: it announces "loading" at once (modelsChanged), and nothing is
    // announced after it, so a slow listener cannot make the load look done before it was seen to begin.
    if (e->current && e->current->modelState() == State::Ready) {
        // Hot swap: the new version loads beside the serving one (workerChanged() switches them).
        if (e->next)
            retire(std::move(e->next), e->name, e->nextEstimate);
        e->nextPath = from;
        e->nextEstimate = bytes;
        qInfo("loading a new version of model %s from %s beside the serving one", qPrintable(name), qPrintable(from));
        startWorker(e->next, from, options);
    } else {
        if (e->current) // loading or failed: nothing served yet, its queued requests finish on it
            retire(std::move(e->current), e->name, e->estimate);
        e->path = from;
        e->estimate = bytes;
        startWorker(e->current, from, options);
    }
    return {};
}

Result<void> ModelPool::unload(const QString &name)
{
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const auto &e) { return e->name == name; });
    if (it == entries_.end())
        return Error(QStringLiteral("model '%1' is not loaded").arg(name).toStdString(), ErrorCode::NotFound);
    std::unique_ptr<Entry> e = std::move(*it);
    entries_.erase(it);
    if (e->next)
        retire(std::move(e->next), name, e->nextEstimate);
    if (e->current)
        retire(std::move(e->current), name, e->estimate);
    if (name == defaultName_)
        defaultName_.clear();
    qInfo("model %s unloaded (requests in flight finish first)", qPrintable(name));
    Q_EMIT modelsChanged();
    return {};
}

void ModelPool::retire(std::unique_ptr<InferenceWorker> worker, const QString &name, qint64 estimate)
{
    disconnect(worker.get(), nullptr, this, nullptr);
    retiring_.push_back({std::move(worker), name, estimate});
}

void ModelPool::workerChanged(InferenceWorker *w)
{
    for (auto &e : entries_) {
        if (e->next.get() == w) {
            if (w->modelState() == State::Ready) {
                qInfo("model %s: the new version from %s is serving; the old one finishes %d request(s)",
                      qPrintable(e->name), qPrintable(e->nextPath), e->current ? e->current->inFlight() : 0);
                if (e->current)
                    retire(std::move(e->current), e->name, e->estimate);
                e->current = std::move(e->next);
                e->path = e->nextPath;
                e->estimate = e->nextEstimate;
            } else if (w->modelState() == State::Failed) {
                e->error =
                    QStringLiteral("the new version from %1 failed to load: %2").arg(e->nextPath, w->modelError());
                qWarning("model %s: %s; the old version keeps serving", qPrintable(e->name), qPrintable(e->error));
                retire(std::move(e->next), e->name, e->nextEstimate);
            }
            break;
        }
        if (e->current.get() == w) {
            if (w->modelState() == State::Ready) {
                const auto info = w->modelInfo();
                Metrics::instance().setModelLoadSeconds(info.loadSeconds);
                const auto kv = w->kvMemory();
                qInfo("model %s ready: %s, %lld parameters, %s on %s, loaded in %.0f ms; KV cache %.0f MiB (%lld "
                      "bytes per position), prefix cache %s; %s of the %s memory budget in use",
                      qPrintable(e->name), info.architecture.c_str(), (long long)info.parameters, info.dtype.c_str(),
                      info.device.c_str(), info.loadSeconds * 1000, double(kv.budgetBytes) / kBytesPerMiB,
                      (long long)kv.bytesPerToken, e->options.prefixCache ? "on" : "off", qPrintable(mib(memoryUsed())),
                      qPrintable(mib(budget_)));
            } else if (w->modelState() == State::Failed) {
                e->error = w->modelError();
                qWarning("model %s failed to load: %s", qPrintable(e->name), qPrintable(e->error));
            }
            break;
        }
    }
    Q_EMIT modelsChanged();
}

bool ModelPool::freeFinished()
{
    bool freed = false;
    for (auto it = retiring_.begin(); it != retiring_.end();) {
        // A version still loading cannot be stopped mid-load without blocking this thread: it is freed after.
        if (it->worker->inFlight() == 0 && it->worker->modelState() != State::Loading) {
            it->worker->shutdown();
            it = retiring_.erase(it);
            freed = true;
        } else {
            ++it;
        }
    }
    return freed;
}

void ModelPool::sweep()
{
    const bool changed = freeFinished();
    const auto now = Clock::now();
    std::vector<std::pair<QString, int>> idle; // name, the keep_alive it was loaded with (what applied)
    for (auto &e : entries_) {
        if (e->current && e->current->inFlight() > 0)
            e->lastUsed = now; // a long generation is use
        if (e->keepAliveSeconds >= 0 && !e->pinned && !e->next && e->current &&
            e->current->modelState() != State::Loading && e->current->inFlight() == 0 &&
            now - e->lastUsed >= std::chrono::seconds(e->keepAliveSeconds))
            idle.emplace_back(e->name, e->keepAliveSeconds);
    }
    for (const auto &[name, seconds] : idle) {
        qInfo("model %s idle for %d s (keep_alive): unloading", qPrintable(name), seconds);
        (void)unload(name);
    }
    if (changed && idle.empty())
        Q_EMIT modelsChanged();
}

std::vector<ModelPool::Status> ModelPool::loaded() const
{
    std::vector<Status> out;
    for (const auto &e : entries_) {
        Status s;
        s.name = e->name;
        s.path = e->path;
        s.isDefault = e->name == defaultName_;
        s.pinned = e->pinned;
        s.swapping = e->next != nullptr;
        s.memoryBytes = bytesOf(*e);
        s.lastUsedMs = msSinceEpoch(e->lastUsed);
        if (!e->pinned && e->keepAliveSeconds >= 0)
            s.unloadAtMs = s.lastUsedMs + qint64(e->keepAliveSeconds) * 1000;
        s.error = e->error;
        if (e->current) {
            s.state = e->current->modelState();
            s.progress = e->current->loadProgress();
            s.inFlight = e->current->inFlight();
            s.info = e->current->modelInfo();
            s.readyAt = e->current->modelReadyAt();
        }
        out.push_back(std::move(s));
    }
    for (const auto &r : retiring_)
        for (Status &s : out)
            if (r.name == s.name)
                ++s.retiring;
    std::stable_sort(out.begin(), out.end(), [](const Status &a, const Status &b) {
        return a.isDefault != b.isDefault ? a.isDefault : a.name < b.name;
    });
    return out;
}

std::vector<ModelPool::Available> ModelPool::available() const
{
    const auto now = Clock::now();
    if (catalogAt_ != Clock::time_point{} && now - catalogAt_ < kCatalogTtl)
        return catalog_;
    std::vector<Available> out;
    for (const auto &[name, m] : settings_.models) // a section's path wins over a folder's model of its name
        if (!m.path.isEmpty())
            if (auto s = engine::summarizeModel(QFile::encodeName(m.path).toStdString()))
                out.push_back({name, QString::fromStdString(s->path)});
    for (Available &a : scanFolders(settings_.folders))
        if (std::none_of(out.begin(), out.end(), [&](const Available &o) { return o.name == a.name; }))
            out.push_back(std::move(a));
    catalog_ = out;
    catalogAt_ = now;
    return out;
}

std::vector<ModelPool::Available> ModelPool::scanFolders(const QStringList &folders)
{
    std::vector<Available> out;
    for (const QString &folder : folders)
        for (const std::string &path : engine::findModelFolders(folder.toStdString())) {
            auto s = engine::summarizeModel(path);
            if (!s)
                continue; // not a model we can load; the Models panel shows why
            const QString name = QString::fromStdString(s->name);
            if (std::none_of(out.begin(), out.end(), [&](const Available &a) { return a.name == name; }))
                out.push_back({name, QString::fromStdString(s->path)});
        }
    return out;
}

engine::LoadOptions ModelPool::optionsFor(const QString &name) const
{
    const auto it = settings_.models.find(name);
    return it != settings_.models.end() ? it->second.load : settings_.load;
}

int ModelPool::keepAliveFor(const QString &name) const
{
    const auto it = settings_.models.find(name);
    return it != settings_.models.end() ? it->second.keepAliveSeconds : settings_.keepAliveSeconds;
}

Result<QString> ModelPool::pathOf(const QString &name) const
{
    for (const Available &a : available())
        if (a.name == name)
            return a.path;
    return Error(QStringLiteral("model '%1' is not available (not loaded, and not in [model] folders: %2)")
                     .arg(name, settings_.folders.join(QStringLiteral(", ")))
                     .toStdString(),
                 ErrorCode::NotFound);
}

int ModelPool::inFlight() const
{
    int n = 0;
    for (const auto &e : entries_) {
        if (e->current)
            n += e->current->inFlight();
        if (e->next)
            n += e->next->inFlight();
    }
    for (const auto &r : retiring_)
        n += r.worker->inFlight();
    return n;
}

int ModelPool::models() const
{
    return int(entries_.size());
}

void ModelPool::publishMetrics() const
{
    int queued = 0, running = 0;
    auto add = [&](const InferenceWorker *w) {
        if (w) {
            queued += w->queueDepth();
            running += w->running();
        }
    };
    for (const auto &e : entries_) {
        add(e->current.get());
        add(e->next.get());
    }
    for (const auto &r : retiring_)
        add(r.worker.get());
    Metrics &m = Metrics::instance();
    m.setQueueDepth(queued);
    m.setActiveSequences(running);
    // The KV figures are the default model's (the one the dashboard shows).
    if (const InferenceWorker *w = defaultWorker())
        w->publishKvMetrics();
    m.setModelsLoaded(int(entries_.size()), memoryUsed(), budget_);
}

} // namespace smartbot::service
