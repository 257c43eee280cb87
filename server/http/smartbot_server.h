// SmartbotServer: the whole server behind one start()/stop(), used in-process by the GUI and by smartbotd.
#pragma once

#include <QObject>
#include <QUrl>
#include <memory>

#include "core/server_config.h"
#include "http/inference_worker.h"

namespace smartbot::http {

struct ServerOverrides {
    QString modelPath;   // empty: server.conf's [model] path
    QString bindAddress; // empty: server.conf
    int port = -1;       // -1: server.conf; 0: any free port
};

class SmartbotServer : public QObject {
    Q_OBJECT
public:
    explicit SmartbotServer(QObject *parent = nullptr);
    ~SmartbotServer() override;

    // Reads DIR/server.conf and the secrets, listens, and starts loading the model in the background.
    Result<void> start(const QString &configDir, const ServerOverrides &overrides = {});
    void stop();

    bool isRunning() const;
    quint16 port() const;          // the bound port (useful with port 0)
    QString bindAddress() const;
    QUrl url() const;              // http://host:port
    const ServerConfig &config() const;
    QString modelPath() const;
    InferenceWorker::ModelState modelState() const;
    QString modelName() const;
    QString modelError() const;

Q_SIGNALS:
    void runningChanged(bool running);
    void modelStateChanged();

private:
    struct Impl;
    std::unique_ptr<Impl> d_;
};

} // namespace smartbot::http
