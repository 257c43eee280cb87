// NetworkPool: the QNetworkAccessManagers one provider's requests go through. Qt 6.4's manager opens at most 6
// HTTP/1.1 connections per host:port and queues every further request inside itself (the number is fixed until
// Qt 6.5's QHttp1Configuration), so with one manager the 7th concurrent stream to a llama-server or vLLM base_url
// waited for one of the first 6 to end, and its connect timeout could expire while it waited. A pool holds one
// manager per 6 requests in flight, made when needed (up to maxRequests / 6, rounded up; each has its own network
// thread, kept until the server stops), and each attempt takes
// the least loaded one. A pool per provider also keeps providers' connections apart: Qt's connection cache is keyed
// by host and port, not by TLS settings, so a connection verified with one provider's ca_file must never carry
// another provider's request (seen in test_relay: an https provider without ca_file got answers over a connection
// that another provider's ca_file had verified).
// No proxy from the environment, no cookie jar use (the requests opt out). Threading: one thread, the relay's.
#pragma once

#include <memory>
#include <vector>

class QNetworkAccessManager;

namespace smartbot::relay {

class NetworkPool {
public:
    // maxRequests: the most requests in flight at once (client requests, health probes and model listings).
    explicit NetworkPool(int maxRequests);
    ~NetworkPool();
    NetworkPool(const NetworkPool &) = delete;
    NetworkPool &operator=(const NetworkPool &) = delete;

    struct Lease {
        QNetworkAccessManager *network = nullptr;
        int slot = -1; // give it back with release(slot)
    };
    // The manager for one attempt: the least loaded, or a new one when all have kPerManager in flight and the pool
    // may grow.
    Lease acquire();
    void release(int slot);
    int managers() const { return int(managers_.size()); }

    static constexpr int kPerManager = 6; // Qt 6.4's HTTP/1.1 connections per host:port and manager

private:
    int limit_;
    std::vector<std::unique_ptr<QNetworkAccessManager>> managers_;
    std::vector<int> load_;
};

} // namespace smartbot::relay
