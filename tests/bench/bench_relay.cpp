// bench_relay: what relaying through SmartBot adds to a provider's answers. Starts two smartbotd on loopback: the
// provider (stories260K) and a relay with [provider.up] pointing at it, then sends the same streamed chat request
// to each, one at a time, and prints time to first event and to [DONE] (median and p90) and the difference.
// Prints figures only. Run: ./build/tests/bench/bench_relay [requests]
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "../http/daemon_process.h"

namespace {

struct Timing {
    double firstMs = -1; // first "data:" byte
    double doneMs = -1;  // "[DONE]"
};

Timing streamOnce(quint16 port, const QByteArray &bearer, const QByteArray &model)
{
    const QByteArray body = R"({"model":")" + model +
                            R"(","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":16,)"
                            R"("temperature":0,"stream":true})";
    QTcpSocket s;
    s.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!s.waitForConnected(5000))
        return {};
    QElapsedTimer t;
    t.start();
    s.write("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer " +
            bearer + "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
            "\r\n\r\n" + body);
    Timing out;
    QByteArray got;
    while (t.elapsed() < 30000 && out.doneMs < 0) {
        if (!s.waitForReadyRead(1000) && s.state() != QAbstractSocket::ConnectedState)
            break;
        got += s.readAll();
        const double now = double(t.nsecsElapsed()) / 1e6;
        if (out.firstMs < 0 && got.contains("data:"))
            out.firstMs = now;
        if (got.contains("[DONE]"))
            out.doneMs = now;
    }
    return out;
}

double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return -1;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(q * double(v.size())))];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int n = argc > 1 ? std::max(1, atoi(argv[1])) : 40;
    if (!QFile::exists(sharedModelDir() + "/config.json")) {
        std::printf("bench_relay: %s is missing\n", qPrintable(sharedModelDir()));
        return 1;
    }
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SMARTBOT_ADMIN_KEY"), QStringLiteral("bench-relay-admin-key-0123456789"));
    const QList<QPair<QByteArray, QByteArray>> admin{{"X-API-Key", "bench-relay-admin-key-0123456789"}};
    QTemporaryDir upDir, relayDir;
    DaemonProcess up, relay;
    if (!up.start(upDir.path(), {"--model", sharedModelDir()}, env) || !up.waitForLog("model stories260K ready")) {
        std::printf("bench_relay: the provider did not start\n%s\n", qPrintable(up.output()));
        return 1;
    }
    const QByteArray platformKey =
        up.postJson("/admin/token", {{"username", "platform"}}, admin).json()["token"].toString().toLatin1();
    QDir(relayDir.path()).mkpath(QStringLiteral("providers"));
    QFile key(relayDir.filePath(QStringLiteral("providers/up.env")));
    key.open(QIODevice::WriteOnly);
    key.write("API_KEY=" + platformKey + "\n");
    key.close();
    key.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    QFile conf(relayDir.filePath(QStringLiteral("server.conf")));
    conf.open(QIODevice::WriteOnly);
    conf.write("[model]\npath = none\n[provider.up]\nbase_url = http://127.0.0.1:" + QByteArray::number(up.port()) +
               "/v1\nmodels = stories260K\n");
    conf.close();
    conf.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    if (!relay.start(relayDir.path(), {}, env)) {
        std::printf("bench_relay: the relay did not start\n%s\n", qPrintable(relay.output()));
        return 1;
    }
    const QByteArray token =
        relay.postJson("/admin/token", {{"username", "client"}}, admin).json()["token"].toString().toLatin1();

    struct Side {
        const char *name;
        std::vector<double> first, done;
    } direct{"direct", {}, {}}, relayed{"relayed", {}, {}};
    for (int i = 0; i < 3; ++i) { // warm both paths (connections, caches)
        streamOnce(up.port(), platformKey, "stories260K");
        streamOnce(relay.port(), token, "up/stories260K");
    }
    for (int i = 0; i < n; ++i) { // interleaved, so that both see the same machine
        for (Side *side : {&direct, &relayed}) {
            const Timing t = side == &direct ? streamOnce(up.port(), platformKey, "stories260K")
                                             : streamOnce(relay.port(), token, "up/stories260K");
            if (t.firstMs >= 0 && t.doneMs >= 0) {
                side->first.push_back(t.firstMs);
                side->done.push_back(t.doneMs);
            }
        }
        up.waitForLog(QStringLiteral("\x01"), 1); // keep the daemons' output pipes drained
        relay.waitForLog(QStringLiteral("\x01"), 1);
    }
    std::printf("bench_relay: %d streamed requests each, stories260K, 16 tokens, one at a time\n", n);
    for (const Side *side : {&direct, &relayed})
        std::printf(
            "RESULT %-8s first event median %6.2f ms p90 %6.2f ms; [DONE] median %6.2f ms p90 %6.2f ms (%zu ok)\n",
            side->name, percentile(side->first, 0.5), percentile(side->first, 0.9), percentile(side->done, 0.5),
            percentile(side->done, 0.9), side->first.size());
    std::printf("RESULT relay adds %.2f ms to the first event and %.2f ms to [DONE] (medians)\n",
                percentile(relayed.first, 0.5) - percentile(direct.first, 0.5),
                percentile(relayed.done, 0.5) - percentile(direct.done, 0.5));
    relay.stop();
    up.stop();
    return relayed.first.size() == size_t(n) && direct.first.size() == size_t(n) ? 0 : 1;
}
