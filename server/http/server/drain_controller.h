// DrainController: a graceful drain. start() marks the DrainState (readyz 503, new chat 503) and then waits until
// nothing is in flight: no generation queued or running in any model (ModelPool) and no connection with a reply still
// being written. It then stops listening, closes the connections once their output is sent and emits finished(true);
// after drain_timeout_s it gives up and emits finished(false).
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <memory>

#include "service/drain_state.h"

namespace smartbot::service {
class ModelPool;
}

namespace smartbot::http {

class GuardedTcpServer;

class DrainController : public QObject {
    Q_OBJECT
public:
    DrainController(std::shared_ptr<service::DrainState> state, service::ModelPool *models, GuardedTcpServer *tcp,
                    int timeoutSeconds, QObject *parent = nullptr);

    void start(const QString &reason); // idempotent
    bool isDraining() const { return state_->isDraining(); }

Q_SIGNALS:
    void finished(bool complete);

private:
    void poll();
    void finish(bool complete);

    std::shared_ptr<service::DrainState> state_;
    service::ModelPool *models_;
    GuardedTcpServer *tcp_;
    int timeoutMs_;
    QTimer poll_;
    QElapsedTimer elapsed_;
    qint64 closingSince_ = -1; // ms into the drain when connections were asked to close
    bool done_ = false;
};

} // namespace smartbot::http
