#include "relay/network_pool.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>

namespace smartbot::relay {

NetworkPool::NetworkPool(int maxRequests) : limit_(std::max(1, (maxRequests + kPerManager - 1) / kPerManager)) {}

NetworkPool::~NetworkPool() = default;

NetworkPool::Lease NetworkPool::acquire()
{
    int best = -1;
    for (int i = 0; i < int(load_.size()); ++i)
        if (best < 0 || load_[size_t(i)] < load_[size_t(best)])
            best = i;
    if (best < 0 || (load_[size_t(best)] >= kPerManager && int(managers_.size()) < limit_)) {
        auto network = std::make_unique<QNetworkAccessManager>();
        network->setProxy(QNetworkProxy::NoProxy); // the relay talks to base_url and to nothing else
        managers_.push_back(std::move(network));
        load_.push_back(0);
        best = int(managers_.size()) - 1;
    }
    ++load_[size_t(best)];
    return {managers_[size_t(best)].get(), best};
}

void NetworkPool::release(int slot)
{
    if (slot >= 0 && size_t(slot) < load_.size() && load_[size_t(slot)] > 0)
        --load_[size_t(slot)];
}

} // namespace smartbot::relay
