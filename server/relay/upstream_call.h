// UpstreamCall: one request relayed to a provider, from the first attempt to the last byte. It picks the base_url
// with the fewest requests in flight, retries (with backoff, on the next base_url) after a connect error, a 429 or a
// 5xx as long as nothing has been handed to the caller yet, and enforces connect_timeout_s and timeout_s itself
// (QNetworkAccessManager has no connect timeout). Redirects are not followed: the server reaches only the hosts in
// server.conf. Lives on the relay's thread; deletes itself after its last callback or after cancel().
#pragma once

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <functional>
#include <vector>

#include "relay/relay_error.h"

class QNetworkAccessManager;
class QNetworkReply;

namespace smartbot::relay {

struct ProviderState;

struct RelayHandlers {
    std::function<void()> started;                  // a 2xx head arrived; the body follows through data
    std::function<void(const QByteArray &)> data;   // body bytes as they arrive (after started)
    std::function<void()> finished;                 // the body is complete
    std::function<void(const RelayError &)> failed; // the end, before or after started; nothing follows
};

class UpstreamCall : public QObject {
    Q_OBJECT
public:
    enum class Method { Get, Post };
    // path: appended to the base_url ("/chat/completions"). body: sent as application/json (Post).
    UpstreamCall(ProviderState *provider, Method method, QString path, QByteArray body, RelayHandlers handlers,
                 QObject *parent);
    // A health check or a model listing: not a client's request, so not counted in the provider's requests or
    // limits and not judged by its circuit breaker.
    void setProbe() { probe_ = true; }
    // A health check: one attempt at this base_url only; its outcome marks the base_url up or down.
    void pinEndpoint(int endpoint) { pinned_ = endpoint; }
    // The circuit breaker admitted this request as its half-open trial: its outcome decides the circuit.
    void setTrial(bool trial) { trial_ = trial; }
    ~UpstreamCall() override;
    void start();
    // The client went away: the upstream request is aborted; no callback runs after this.
    void cancel();

private:
    void attempt();
    void onHead();
    void onData();
    void onFinished();
    void onTimeout();
    void fail(const RelayError &error, bool retryable);
    void release();          // the endpoint's and provider's in-flight counts
    void endAttemptCounts(); // this attempt's: its base_url's in-flight count and its network lease
    void record(const QString &outcome);
    void markHealth(bool up); // of the base_url this attempt used
    QString describe() const; // "provider 'NAME' (host:port)"

    ProviderState *provider_;
    Method method_;
    QString path_;
    QByteArray body_;
    RelayHandlers handlers_;
    QPointer<QNetworkReply> reply_;
    QTimer timer_;            // connect timeout, then the longest silence
    int endpoint_ = -1;       // index into the provider's base_urls
    int networkSlot_ = -1;    // the provider's NetworkPool lease of this attempt
    int pinned_ = -1;         // pinEndpoint
    std::vector<bool> tried_; // base_urls this request has tried
    int retriesUsed_ = 0;
    bool probe_ = false;
    bool trial_ = false;
    bool connected_ = false;
    bool noConnection_ = false; // this attempt never connected (refused, unknown host, connect timeout)
    bool timedOut_ = false;
    bool started_ = false;
    bool done_ = false;
    bool counted_ = false;
    QByteArray errorBody_; // a non-2xx answer's body (at most 64 KiB), for its error message
    qint64 startedAtMs_ = 0;
};

} // namespace smartbot::relay
