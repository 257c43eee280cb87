// Metrics: the process's Prometheus registry (counters, gauges, histograms) and its text exposition.
// Thread-safe; one instance per process (Metrics::instance()), as Prometheus client libraries do.
#pragma once

#include <QByteArray>
#include <QString>

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
    void setApiKeysRotationDue(int n);
    // Security.
    void addAuthFailure();

    // Prometheus text format 0.0.4 (includes process memory read at call time).
    QByteArray render() const;

    void resetForTests();

private:
    Metrics();
    struct Impl;
    Impl *d_;
};

} // namespace smartbot
