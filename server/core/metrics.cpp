#include "core/metrics.h"

#include <QFile>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <mutex>
#include <vector>

#include <sys/resource.h>

#include <unistd.h>

namespace smartbot {

namespace {

// Request latency: 1 ms … 60 s (a chat completion can run for a minute).
const std::vector<double> kRequestBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                          0.5,   1,      2.5,   5,    10,    30,   60};
// Time to first token: prefill of a small model takes well under a millisecond.
const std::vector<double> kFirstTokenBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
// Inter-token latency: ~0.3 ms per token for a small model, seconds for a large one on a CPU.
const std::vector<double> kInterTokenBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                             0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};

struct Histogram {
    explicit Histogram(const std::vector<double> &b = {}) : bounds(&b), counts(b.size() + 1, 0) {}
    void observe(double v)
    {
        size_t i = 0;
        while (i < bounds->size() && v > (*bounds)[i])
            ++i;
        ++counts[i];
        sum += v;
        ++count;
    }
    const std::vector<double> *bounds;
    std::vector<quint64> counts; // per bucket, not cumulative; the last one is +Inf
    double sum = 0;
    quint64 count = 0;
};

// Sample values: whole numbers as integers, others in the shortest round-trip form (fixed where readable:
// 0.0001, 1795969412.04; else 1e-05),
// +Inf/-Inf/NaN spelled as Prometheus reads them.
QByteArray num(double v)
{
    if (std::isnan(v))
        return QByteArrayLiteral("NaN");
    if (std::isinf(v))
        return v > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0)
        return QByteArray::number(qint64(v));
    std::array<char, 32> buf{};
    const double a = std::fabs(v);
    const auto format = a >= 1e-4 && a < 1e15 ? std::chars_format::fixed : std::chars_format::general;
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v, format);
    return QByteArray(buf.data(), res.ptr - buf.data());
}

QByteArray num(quint64 v)
{
    return QByteArray::number(v);
}

QByteArray escapeLabel(const QByteArray &v)
{
    QByteArray out;
    out.reserve(v.size());
    for (const char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

QByteArray label(const char *name, const QString &value)
{
    return QByteArray(name) + "=\"" + escapeLabel(value.toUtf8()) + '"';
}

void family(QByteArray &out, const QByteArray &name, const char *type, const char *help)
{
    out += "# HELP " + name + ' ' + help + '\n';
    out += "# TYPE " + name + ' ' + type + '\n';
}

void sample(QByteArray &out, const QByteArray &name, const QByteArray &labels, const QByteArray &value)
{
    out += name;
    if (!labels.isEmpty())
        out += '{' + labels + '}';
    out += ' ' + value + '\n';
}

// One histogram's series; labels are the series' own labels without "le".
// A metric with one unlabelled sample, named once: its family header and its value.
void counter(QByteArray &out, const QByteArray &name, const char *help, const QByteArray &value)
{
    family(out, name, "counter", help);
    sample(out, name, {}, value);
}

void gauge(QByteArray &out, const QByteArray &name, const char *help, const QByteArray &value)
{
    family(out, name, "gauge", help);
    sample(out, name, {}, value);
}

void histogramSamples(QByteArray &out, const QByteArray &base, const QByteArray &labels, const Histogram &h)
{
    const QByteArray prefix = labels.isEmpty() ? QByteArray() : labels + ',';
    quint64 cumulative = 0;
    for (size_t i = 0; i < h.counts.size(); ++i) {
        cumulative += h.counts[i];
        const QByteArray le = i < h.bounds->size() ? num((*h.bounds)[i]) : QByteArrayLiteral("+Inf");
        sample(out, base + "_bucket", prefix + "le=\"" + le + '"', num(cumulative));
    }
    sample(out, base + "_sum", labels, num(h.sum));
    sample(out, base + "_count", labels, num(h.count));
}

struct ProcessStats {
    double residentBytes = -1, virtualBytes = -1, startTimeSeconds = -1, cpuSeconds = -1;
};

QList<QByteArray> readFields(const char *path)
{
    QFile f(QString::fromLatin1(path));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll().simplified().split(' ');
}

// Seconds since the epoch at which the kernel started this process (/proc/self/stat field 22 + btime).
double processStartTime()
{
    QFile stat(QStringLiteral("/proc/self/stat"));
    QFile proc(QStringLiteral("/proc/stat"));
    if (!stat.open(QIODevice::ReadOnly) || !proc.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray s = stat.readAll();
    // Fields after the command name, which is in parentheses and may contain spaces.
    const QList<QByteArray> after = s.mid(s.lastIndexOf(')') + 2).simplified().split(' ');
    const long ticks = sysconf(_SC_CLK_TCK);
    if (after.size() < 20 || ticks <= 0)
        return -1;
    const double startTicks = after[19].toDouble(); // field 22 overall: the 20th after "pid (comm)"
    for (const QByteArray &line : proc.readAll().split('\n'))
        if (line.startsWith("btime "))
            return line.mid(6).trimmed().toDouble() + startTicks / double(ticks);
    return -1;
}

ProcessStats processStats()
{
    ProcessStats p;
    const QList<QByteArray> statm = readFields("/proc/self/statm");
    const long page = sysconf(_SC_PAGESIZE);
    if (statm.size() >= 2 && page > 0) {
        p.virtualBytes = statm[0].toDouble() * double(page);
        p.residentBytes = statm[1].toDouble() * double(page);
    }
    rusage ru{};
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        p.cpuSeconds =
            double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    static const double start = processStartTime();
    p.startTimeSeconds = start;
    return p;
}

} // namespace

double processResidentBytes()
{
    return processStats().residentBytes;
}

struct Metrics::Impl {
    mutable std::mutex mutex;
    std::map<std::pair<QString, int>, quint64> requests; // (route, status) -> count
    std::map<QString, Histogram> requestSeconds;         // route -> histogram
    Histogram firstToken{kFirstTokenBuckets};
    Histogram interToken{kInterTokenBuckets};
    quint64 promptTokens = 0, generatedTokens = 0;
    int queueDepth = 0, activeSequences = 0;
    KvCacheFigures kv;
    qint64 kvWaits = 0;
    double modelLoadSeconds = 0;
    int modelsLoaded = 0;
    qint64 modelMemoryBytes = 0, modelMemoryBudget = 0;
    int apiKeysRotationDue = 0;
    qint64 authFailures = 0;
    std::map<std::pair<QString, QString>, quint64> providerRequests; // (provider, outcome) -> count
    std::map<QString, Histogram> providerSeconds;                    // provider -> histogram
    std::map<QString, std::pair<int, int>> providerState;            // provider -> (circuit state, in flight)
    std::map<std::pair<QString, QString>, std::pair<bool, int>> providerEndpoints; // (provider, url) -> (up, in flight)
};

Metrics &Metrics::instance()
{
    static Metrics *metrics = new Metrics(); // never destroyed: worker threads may still record at exit
    return *metrics;
}

Metrics::Metrics() : d_(new Impl)
{
    processStats(); /* pins the start time early */
}

void Metrics::observeRequest(const QString &route, int status, double seconds)
{
    std::lock_guard lock(d_->mutex);
    ++d_->requests[{route, status}];
    auto it = d_->requestSeconds.try_emplace(route, kRequestBuckets).first;
    it->second.observe(seconds);
}

void Metrics::observeTimeToFirstToken(double seconds)
{
    std::lock_guard lock(d_->mutex);
    d_->firstToken.observe(seconds);
}

void Metrics::observeInterTokenLatency(double seconds)
{
    std::lock_guard lock(d_->mutex);
    d_->interToken.observe(seconds);
}

void Metrics::addTokens(qint64 promptTokens, qint64 generatedTokens)
{
    std::lock_guard lock(d_->mutex);
    d_->promptTokens += quint64(std::max<qint64>(promptTokens, 0));
    d_->generatedTokens += quint64(std::max<qint64>(generatedTokens, 0));
}

void Metrics::setQueueDepth(int n)
{
    std::lock_guard lock(d_->mutex);
    d_->queueDepth = n;
}

void Metrics::setActiveSequences(int n)
{
    std::lock_guard lock(d_->mutex);
    d_->activeSequences = n;
}

void Metrics::addKvWait()
{
    std::lock_guard lock(d_->mutex);
    ++d_->kvWaits;
}

void Metrics::setKvMemory(const KvCacheFigures &figures)
{
    std::lock_guard lock(d_->mutex);
    d_->kv = figures;
}

void Metrics::setModelLoadSeconds(double seconds)
{
    std::lock_guard lock(d_->mutex);
    d_->modelLoadSeconds = seconds;
}

void Metrics::setModelsLoaded(int models, qint64 memoryBytes, qint64 budgetBytes)
{
    std::lock_guard lock(d_->mutex);
    d_->modelsLoaded = models;
    d_->modelMemoryBytes = memoryBytes;
    d_->modelMemoryBudget = budgetBytes;
}

void Metrics::setApiKeysRotationDue(int n)
{
    std::lock_guard lock(d_->mutex);
    d_->apiKeysRotationDue = n;
}

void Metrics::observeProviderRequest(const QString &provider, const QString &outcome, double seconds)
{
    std::lock_guard lock(d_->mutex);
    ++d_->providerRequests[{provider, outcome}];
    d_->providerSeconds.try_emplace(provider, kRequestBuckets).first->second.observe(seconds);
}

void Metrics::setProviderState(const QString &provider, int circuit, int inFlight)
{
    std::lock_guard lock(d_->mutex);
    d_->providerState[provider] = {circuit, inFlight};
}

void Metrics::setProviderEndpoint(const QString &provider, const QString &url, bool up, int inFlight)
{
    std::lock_guard lock(d_->mutex);
    d_->providerEndpoints[{provider, url}] = {up, inFlight};
}

void Metrics::addAuthFailure()
{
    std::lock_guard lock(d_->mutex);
    ++d_->authFailures;
}

void Metrics::resetForTests()
{
    std::lock_guard lock(d_->mutex);
    Impl &d = *d_;
    d.requests.clear();
    d.requestSeconds.clear();
    d.firstToken = Histogram(kFirstTokenBuckets);
    d.interToken = Histogram(kInterTokenBuckets);
    d.promptTokens = d.generatedTokens = 0;
    d.queueDepth = d.activeSequences = 0;
    d.kv = {};
    d.kvWaits = 0;
    d.modelLoadSeconds = 0;
    d.modelsLoaded = 0;
    d.modelMemoryBytes = d.modelMemoryBudget = 0;
    d.apiKeysRotationDue = 0;
    d.authFailures = 0;
}

quint64 HistogramCounts::total() const
{
    quint64 n = 0;
    for (quint64 c : counts)
        n += c;
    return n;
}

HistogramCounts HistogramCounts::since(const HistogramCounts &earlier) const
{
    HistogramCounts d = *this;
    if (earlier.counts.size() == counts.size())
        for (size_t i = 0; i < counts.size(); ++i)
            d.counts[i] = counts[i] >= earlier.counts[i] ? counts[i] - earlier.counts[i] : 0;
    return d;
}

double HistogramCounts::quantile(double q) const
{
    const quint64 n = total();
    if (n == 0 || counts.size() != bounds.size() + 1)
        return std::nan("");
    const double rank = std::clamp(q, 0.0, 1.0) * double(n);
    quint64 below = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        if (double(below + counts[i]) >= rank && counts[i] > 0) {
            if (i == bounds.size()) // +Inf: the highest finite bound is the best estimate
                return bounds.empty() ? std::nan("") : bounds.back();
            const double lower = i == 0 ? 0.0 : bounds[i - 1];
            return lower + (bounds[i] - lower) * (rank - double(below)) / double(counts[i]);
        }
        below += counts[i];
    }
    return bounds.empty() ? std::nan("") : bounds.back();
}

MetricsSnapshot Metrics::snapshot() const
{
    std::lock_guard lock(d_->mutex);
    const Impl &d = *d_;
    MetricsSnapshot s;
    for (const auto &[key, count] : d.requests)
        s.requests += count;
    s.promptTokens = d.promptTokens;
    s.generatedTokens = d.generatedTokens;
    s.queueDepth = d.queueDepth;
    s.activeSequences = d.activeSequences;
    s.kv = d.kv;
    s.requestSeconds.bounds = kRequestBuckets;
    s.requestSeconds.counts.assign(kRequestBuckets.size() + 1, 0);
    for (const auto &[route, h] : d.requestSeconds)
        for (size_t i = 0; i < h.counts.size(); ++i)
            s.requestSeconds.counts[i] += h.counts[i];
    s.firstTokenSeconds.bounds = kFirstTokenBuckets;
    s.firstTokenSeconds.counts = d.firstToken.counts;
    return s;
}

QByteArray Metrics::render() const
{
    const ProcessStats proc = processStats();
    QByteArray out;
    out.reserve(8192);
    std::lock_guard lock(d_->mutex);
    const Impl &d = *d_;

    family(out, "smartbot_http_requests_total", "counter", "HTTP requests answered, by route and status code.");
    for (const auto &[key, count] : d.requests)
        sample(out, "smartbot_http_requests_total",
               label("route", key.first) + ',' + label("status", QString::number(key.second)), num(count));

    family(out, "smartbot_http_request_duration_seconds", "histogram",
           "Time from the request's arrival to its response being written, by route.");
    for (const auto &[route, h] : d.requestSeconds)
        histogramSamples(out, "smartbot_http_request_duration_seconds", label("route", route), h);

    family(out, "smartbot_time_to_first_token_seconds", "histogram",
           "Time from a generation's start to its first generated token.");
    histogramSamples(out, "smartbot_time_to_first_token_seconds", {}, d.firstToken);

    family(out, "smartbot_inter_token_latency_seconds", "histogram", "Time between consecutive generated tokens.");
    histogramSamples(out, "smartbot_inter_token_latency_seconds", {}, d.interToken);

    counter(out, "smartbot_prompt_tokens_total", "Prompt tokens processed.", num(d.promptTokens));
    counter(out, "smartbot_generated_tokens_total", "Tokens generated.", num(d.generatedTokens));

    gauge(out, "smartbot_queue_depth", "Generation requests waiting for the inference worker.",
          QByteArray::number(d.queueDepth));
    gauge(out, "smartbot_active_sequences", "Sequences being generated right now.",
          QByteArray::number(d.activeSequences));
    family(out, "smartbot_kv_cache_bytes", "gauge",
           "KV-cache memory: reserved by running sequences, and held by the prefix cache.");
    sample(out, "smartbot_kv_cache_bytes", label("use", QStringLiteral("sequences")),
           QByteArray::number(d.kv.sequenceBytes));
    sample(out, "smartbot_kv_cache_bytes", label("use", QStringLiteral("prefix_cache")),
           QByteArray::number(d.kv.prefixBytes));
    gauge(out, "smartbot_kv_cache_budget_bytes", "KV-cache memory allowed ([model] kv_cache_mb).",
          QByteArray::number(d.kv.budgetBytes));
    counter(out, "smartbot_kv_cache_waits_total",
            "Requests that waited in the queue for KV-cache memory (raise kv_cache_mb if this climbs).",
            QByteArray::number(d.kvWaits));
    gauge(out, "smartbot_prefix_cache_tokens", "Positions held by the prefix cache.",
          QByteArray::number(d.kv.prefixTokens));
    counter(out, "smartbot_prefix_cache_lookups_total", "Sequences begun with the prefix cache on.",
            QByteArray::number(qulonglong(d.kv.prefixLookups)));
    counter(out, "smartbot_prefix_cache_hits_total", "Sequences that reused a cached prompt prefix.",
            QByteArray::number(qulonglong(d.kv.prefixHits)));
    counter(out, "smartbot_prompt_tokens_cached_total",
            "Prompt tokens taken from the prefix cache instead of being prefilled.",
            QByteArray::number(qulonglong(d.kv.reusedTokens)));
    gauge(out, "smartbot_model_load_seconds", "Time the loaded model took to load.", num(d.modelLoadSeconds));
    gauge(out, "smartbot_models_loaded", "Models held in memory (loaded or loading), hot-swap versions aside.",
          QByteArray::number(d.modelsLoaded));
    gauge(out, "smartbot_model_memory_bytes",
          "Memory the loaded models are counted for (weights plus KV-cache budgets, retiring versions included).",
          QByteArray::number(d.modelMemoryBytes));
    gauge(out, "smartbot_model_memory_budget_bytes", "[model] memory_budget_mb: loads beyond it are refused.",
          QByteArray::number(d.modelMemoryBudget));
    gauge(out, "smartbot_api_keys_rotation_due",
          "API keys older than [auth] key_rotation_days that have not been rotated.",
          num(double(d.apiKeysRotationDue)));
    counter(out, "smartbot_auth_failures_total", "Requests refused for a missing or bad credential.",
            num(quint64(d.authFailures)));

    if (!d.providerState.empty()) {
        family(out, "smartbot_provider_requests_total", "counter",
               "Requests relayed to upstream providers, by provider and outcome (ok, unreachable, timeout, "
               "rate_limited, key_refused, bad_request, upstream_error, stream_cut, busy, circuit_open, cancelled).");
        for (const auto &[key, count] : d.providerRequests)
            sample(out, "smartbot_provider_requests_total",
                   label("provider", key.first) + ',' + label("outcome", key.second), num(count));
        family(out, "smartbot_provider_request_duration_seconds", "histogram",
               "Time from a relayed request's start to its last byte (or failure), by provider.");
        for (const auto &[provider, h] : d.providerSeconds)
            histogramSamples(out, "smartbot_provider_request_duration_seconds", label("provider", provider), h);
        family(out, "smartbot_provider_circuit_state", "gauge",
               "The circuit breaker of each provider: 0 closed, 1 open (requests refused), 2 half-open (one trial).");
        for (const auto &[provider, st] : d.providerState)
            sample(out, "smartbot_provider_circuit_state", label("provider", provider), num(double(st.first)));
        family(out, "smartbot_provider_in_flight", "gauge", "Requests in flight to each provider.");
        for (const auto &[provider, st] : d.providerState)
            sample(out, "smartbot_provider_in_flight", label("provider", provider), num(double(st.second)));
        family(out, "smartbot_provider_endpoint_up", "gauge",
               "Each base_url of each provider: 1 while it takes requests, 0 after a failed connection or health "
               "check.");
        for (const auto &[key, st] : d.providerEndpoints)
            sample(out, "smartbot_provider_endpoint_up",
                   label("provider", key.first) + ',' + label("endpoint", key.second), num(double(st.first)));
        family(out, "smartbot_provider_endpoint_in_flight", "gauge", "Requests in flight to each base_url.");
        for (const auto &[key, st] : d.providerEndpoints)
            sample(out, "smartbot_provider_endpoint_in_flight",
                   label("provider", key.first) + ',' + label("endpoint", key.second), num(double(st.second)));
    }

    if (proc.residentBytes >= 0) {
        gauge(out, "process_resident_memory_bytes", "Resident memory size in bytes.", num(proc.residentBytes));
        gauge(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", num(proc.virtualBytes));
    }
    if (proc.startTimeSeconds >= 0) {
        gauge(out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
              num(proc.startTimeSeconds));
    }
    if (proc.cpuSeconds >= 0) {
        counter(out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                num(proc.cpuSeconds));
    }
    return out;
}

} // namespace smartbot
