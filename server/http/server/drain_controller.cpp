#include "http/server/drain_controller.h"

#include "http/transport/guarded_tcp_server.h"
#include "service/model_pool.h"

namespace smartbot::http {

namespace {
constexpr int kPollMs = 50;
constexpr int kCloseWaitMs = 1000; // after the last reply: time for connections to flush and close
} // namespace

DrainController::DrainController(std::shared_ptr<service::DrainState> state, service::ModelPool *models,
                                 GuardedTcpServer *tcp, int timeoutSeconds, QObject *parent)
    : QObject(parent), state_(std::move(state)), models_(models), tcp_(tcp), timeoutMs_(timeoutSeconds * 1000)
{
    poll_.setInterval(kPollMs);
    connect(&poll_, &QTimer::timeout, this, &DrainController::poll);
}

void DrainController::start(const QString &reason)
{
    if (state_->active.exchange(true))
        return;
    qInfo("draining (%s): readyz answers 503, new requests are refused; waiting up to %d s for %d generation(s) "
          "and %d reply(ies) in flight",
          qPrintable(reason), timeoutMs_ / 1000, models_->inFlight(), tcp_->pendingResponses());
    elapsed_.start();
    poll_.start();
}

void DrainController::poll()
{
    if (done_)
        return;
    const int generations = models_->inFlight();
    const int replies = tcp_->pendingResponses();
    if (elapsed_.elapsed() >= timeoutMs_) {
        qWarning(
            "drain_timeout_s (%d) reached with %d generation(s) and %d reply(ies) still in flight: stopping anyway",
            timeoutMs_ / 1000, generations, replies);
        return finish(false);
    }
    if (generations > 0 || replies > 0)
        return;
    if (closingSince_ < 0) {
        qInfo("drained after %lld ms: no request in flight; closing %d connection(s)", elapsed_.elapsed(),
              tcp_->connectionCount());
        tcp_->close(); // stop listening
        tcp_->closeConnectionsGracefully();
        closingSince_ = elapsed_.elapsed();
    }
    if (tcp_->connectionCount() == 0 || elapsed_.elapsed() - closingSince_ >= kCloseWaitMs)
        finish(true);
}

void DrainController::finish(bool complete)
{
    done_ = true;
    poll_.stop();
    Q_EMIT finished(complete);
}

} // namespace smartbot::http
