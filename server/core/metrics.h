// Metrics: the process's Prometheus registry (counters, gauges, histograms) and its text exposition.
// Thread-safe; one instance per process (Metrics::instance()), as Prometheus client libraries do.
#pragma once

#include <QByteArray>
#include <QString>

#include <vector>

namespace smartbot {

// The KV-cache figures Metrics exports (the inference worker copies them from the engine's KvMemoryStats).
struct KvCacheFigures {
    qint64 budgetBytes = 0;
    qint64 sequenceBytes = 0; // reserved by running sequences
    qint64 prefixBytes = 0;   // held by the prefix cache
    qint64 prefixTokens = 0;
    quint64 prefixLookups = 0;
    quint64 prefixHits = 0;
    quint64 reusedTokens = 0; // prompt positions not prefilled thanks to the prefix cache
};

// A histogram's buckets: upper bounds and per-bucket counts (not cumulative; one more count than bounds: +Inf).
struct HistogramCounts {
    std::vector<double> bounds;
    std::vector<quint64> counts;
    quint64 total() const;
    // counts minus an earlier reading of the same histogram (the observations in between).
    HistogramCounts since(const HistogramCounts &earlier) const;
    // The q-quantile (0..1) estimated as Prometheus' histogram_quantile does: linear within the bucket that holds
    // it; the highest finite bound when it falls in +Inf; NaN with no observations.
    double quantile(double q) const;
};

// What the desktop dashboard reads, in-process (no HTTP round trip): the counters and gauges at one moment.
struct MetricsSnapshot {
    quint64 requests = 0; // HTTP requests answered, every route and status
    quint64 promptTokens = 0;
    quint64 generatedTokens = 0;
    int queueDepth = 0;
    int activeSequences = 0;
    KvCacheFigures kv;
    HistogramCounts requestSeconds; // every route merged
    HistogramCounts firstTokenSeconds;
};

class Metrics {
public:
    static Metrics &instance();
    Metrics(const Metrics &) = delete;
    Metrics &operator=(const Metrics &) = delete;

    // HTTP: one call per answered request (route = the matched route pattern, or "unmatched").
    void observeRequest(const QString &route, int status, double seconds);
    // Generation.
    void observeTimeToFirstToken(double seconds);
    void observeInterTokenLatency(double seconds);
    void addTokens(qint64 promptTokens, qint64 generatedTokens);
    void addKvWait(); // a request waited in the queue for KV-cache memory
    // Gauges.
    void setQueueDepth(int n);
    void setActiveSequences(int n);
    void setKvMemory(const KvCacheFigures &figures); // the KV cache and prefix-cache counters
    void setModelLoadSeconds(double seconds);
    // Models held by the server (loaded or loading), the memory they are counted for, and the budget.
    void setModelsLoaded(int models, qint64 memoryBytes, qint64 budgetBytes);
    void setApiKeysRotationDue(int n);
    // Relayed requests ([provider.NAME], server/relay/): one call per ended request, and each provider's circuit
    // breaker state (0 closed, 1 open, 2 half-open) and requests in flight.
    void observeProviderRequest(const QString &provider, const QString &outcome, double seconds);
    void setProviderState(const QString &provider, int circuit, int inFlight);
    // One base_url of a provider: whether it takes requests (its last connection or health check worked) and the
    // requests in flight to it.
    void setProviderEndpoint(const QString &provider, const QString &url, bool up, int inFlight);
    // Security.
    void addAuthFailure();

    // Prometheus text format 0.0.4 (includes process memory read at call time).
    QByteArray render() const;
    MetricsSnapshot snapshot() const;

    void resetForTests();

private:
    Metrics();
    struct Impl;
    Impl *d_;
};

// This process's resident memory (RSS, /proc/self/statm) in bytes; -1 where unknown. Any thread.
double processResidentBytes();

} // namespace smartbot
