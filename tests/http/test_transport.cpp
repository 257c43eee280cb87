// The transport beneath QHttpServer, against a real smartbotd over real sockets: HTTPS (curl and openssl s_client
// against a CA made here with the openssl CLI), refused TLS set-ups, request/idle timeouts, the connection cap,
// slow clients that must not starve others, and graceful drain (POST /admin/drain and SIGTERM).
#include <QtTest>

#include <QJsonDocument>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpSocket>

#include <memory>
#include <sys/stat.h>
#include <vector>

#include "daemon_process.h"

namespace {
const QByteArray kAdminKey = "transport-test-admin-key-0123456789";

void writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly), qPrintable(path));
    f.write(data);
}

struct Tool {
    int exitCode = -1;
    QString output; // stdout + stderr
};

Tool runTool(const QString &program, const QStringList &args, int timeoutMs = 20000)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    p.closeWriteChannel();
    Tool t;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(2000);
        t.output = QStringLiteral("timed out: ") + program;
        return t;
    }
    t.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    t.output = QString::fromUtf8(p.readAll());
    return t;
}

QProcessEnvironment daemonEnv()
{
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("SMARTBOT_ADMIN_KEY", QString::fromLatin1(kAdminKey));
    return env;
}

// A raw client connection, read as the test goes on.
struct Client {
    std::unique_ptr<QTcpSocket> socket = std::make_unique<QTcpSocket>();
    QByteArray data;
    QElapsedTimer opened;
    qint64 closedAfterMs = -1;

    void open(quint16 port, const QString &source = {})
    {
        opened.start();
        if (!source.isEmpty())
            socket->bind(QHostAddress(source));
        socket->connectToHost(QStringLiteral("127.0.0.1"), port);
    }
    void poll()
    {
        data += socket->readAll();
        if (closedAfterMs < 0 && socket->state() == QAbstractSocket::UnconnectedState)
            closedAfterMs = opened.elapsed();
    }
    bool closed() const { return closedAfterMs >= 0; }
};
using Clients = std::vector<std::unique_ptr<Client>>;

// Processes events until pred() holds or timeoutMs passes; polls every client on the way.
template <class Pred> bool pumpUntil(const std::vector<Client *> &clients, int timeoutMs, Pred pred)
{
    QElapsedTimer t;
    t.start();
    for (;;) {
        for (Client *c : clients)
            c->poll();
        if (pred())
            return true;
        if (t.elapsed() > timeoutMs)
            return false;
        QTest::qWait(20);
    }
}

std::vector<Client *> ptrs(const Clients &cs)
{
    std::vector<Client *> out;
    for (const auto &c : cs)
        out.push_back(c.get());
    return out;
}

// A whole response parsed from raw bytes (chunked bodies are de-chunked).
struct Parsed {
    bool complete = false;
    int status = 0;
    QByteArray contentType, retryAfter, body;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QString errorCode() const { return json().value("error").toObject().value("code").toString(); }
};

Parsed parse(const QByteArray &data)
{
    Parsed p;
    const qsizetype headEnd = data.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return p;
    const QList<QByteArray> lines = data.left(headEnd).split('\n');
    p.status = lines.value(0).split(' ').value(1).toInt();
    qint64 length = -1;
    bool chunked = false;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype c = lines[i].indexOf(':');
        const QByteArray name = lines[i].left(c).trimmed().toLower(), value = lines[i].mid(c + 1).trimmed();
        if (name == "content-length")
            length = value.toLongLong();
        else if (name == "content-type")
            p.contentType = value;
        else if (name == "retry-after")
            p.retryAfter = value;
        else if (name == "transfer-encoding")
            chunked = value.toLower().contains("chunked");
    }
    QByteArray rest = data.mid(headEnd + 4);
    if (!chunked) {
        p.complete = length >= 0 && rest.size() >= length;
        p.body = rest.left(length);
        return p;
    }
    for (;;) {
        const qsizetype eol = rest.indexOf("\r\n");
        if (eol < 0)
            return p;
        const qint64 n = rest.left(eol).toLongLong(nullptr, 16);
        if (n == 0) { // the last chunk, then (no trailers) an empty line
            p.complete = rest.mid(eol + 2).startsWith("\r\n") || rest.indexOf("\r\n\r\n", eol) >= 0;
            return p;
        }
        if (rest.size() < eol + 2 + n + 2)
            return p;
        p.body += rest.mid(eol + 2, n);
        rest = rest.mid(eol + 2 + n + 2);
    }
}

QByteArray chatRequest(const QByteArray &token, int seed, bool stream = false)
{
    const QByteArray body = QJsonDocument(QJsonObject{{"message", "Once upon a time"},
                                                      {"max_tokens", 480},
                                                      {"temperature", 1.0},
                                                      {"seed", seed},
                                                      {"stream", stream}})
                                .toJson(QJsonDocument::Compact);
    return "POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer " + token +
           "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}
} // namespace

class TestTransport : public QObject {
    Q_OBJECT
    QTemporaryDir pki;
    QString openssl, curl;

    QString pkiFile(const QString &name) const { return pki.filePath(name); }

    bool makePki()
    {
        auto run = [this](const QStringList &args) {
            const Tool t = runTool(openssl, args);
            if (t.exitCode != 0)
                qWarning("openssl %s failed: %s", qPrintable(args.join(' ')), qPrintable(t.output));
            return t.exitCode == 0;
        };
        writeFile(pkiFile("leaf.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                                       "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
        writeFile(pkiFile("garbage.pem"), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
                                          "-----END CERTIFICATE-----\n");
        writeFile(pkiFile("ca.cnf"),
                  "[ca]\ndefault_ca = ca_default\n[ca_default]\ndatabase = " + QFile::encodeName(pkiFile("index.txt")) +
                      "\nnew_certs_dir = " + QFile::encodeName(pki.path()) +
                      "\nserial = " + QFile::encodeName(pkiFile("serial")) +
                      "\ndefault_md = sha256\npolicy = any\nunique_subject = no\n"
                      "[any]\ncommonName = supplied\n");
        writeFile(pkiFile("index.txt"), "");
        writeFile(pkiFile("serial"), "1000\n");
        const QStringList subj{"-subj", "/CN=localhost"};
        return run({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", pkiFile("ca.key"), "-out",
                    pkiFile("ca.pem"), "-days", "3", "-subj", "/CN=SmartBot Test CA"}) &&
               run(QStringList{"req", "-newkey", "rsa:2048", "-nodes", "-keyout", pkiFile("server.key"), "-out",
                               pkiFile("server.csr")} +
                   subj) &&
               run({"x509", "-req", "-in", pkiFile("server.csr"), "-CA", pkiFile("ca.pem"), "-CAkey", pkiFile("ca.key"),
                    "-CAcreateserial", "-out", pkiFile("server.pem"), "-days", "3", "-extfile", pkiFile("leaf.ext")}) &&
               // Expired yesterday (notAfter one day before now).
               run({"x509", "-req", "-in", pkiFile("server.csr"), "-CA", pkiFile("ca.pem"), "-CAkey", pkiFile("ca.key"),
                    "-CAcreateserial", "-out", pkiFile("expired.pem"), "-days", "-1", "-extfile",
                    pkiFile("leaf.ext")}) &&
               // Not valid before 2099 (openssl ca can set the start date).
               run({"ca", "-batch", "-config", pkiFile("ca.cnf"), "-cert", pkiFile("ca.pem"), "-keyfile",
                    pkiFile("ca.key"), "-in", pkiFile("server.csr"), "-out", pkiFile("future.pem"), "-startdate",
                    "20991231000000Z", "-enddate", "21000101000000Z", "-extfile", pkiFile("leaf.ext"), "-notext"}) &&
               run({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
                    pkiFile("other.key")}) &&
               // An EC leaf.
               run(QStringList{"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                               pkiFile("ec.key"), "-out", pkiFile("ec.csr")} +
                   subj) &&
               run({"x509", "-req", "-in", pkiFile("ec.csr"), "-CA", pkiFile("ca.pem"), "-CAkey", pkiFile("ca.key"),
                    "-CAcreateserial", "-out", pkiFile("ec.pem"), "-days", "3", "-extfile", pkiFile("leaf.ext")});
    }

    // A config folder holding server.conf (text) and copies of the named PKI files (mode 0600).
    QString tlsConfig(QTemporaryDir &dir, const QByteArray &conf, const QStringList &files)
    {
        for (const QString &f : files) {
            QFile::copy(pkiFile(f), dir.filePath(f));
            QFile::setPermissions(dir.filePath(f), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        }
        writeFile(dir.filePath("server.conf"), conf);
        return dir.path();
    }

    Tool curlHttps(quint16 port, const QString &host, const QString &path, const QStringList &extra = {})
    {
        return runTool(curl, QStringList{"-sS", "-m", "10", "--cacert", pkiFile("ca.pem"), "-w", "\n%{http_code}"} +
                                 extra + QStringList{QStringLiteral("https://%1:%2%3").arg(host).arg(port).arg(path)});
    }

    QByteArray issueToken(const DaemonProcess &d)
    {
        auto t = d.postJson("/admin/token", {{"username", "transport"}}, {{"X-API-Key", kAdminKey}});
        return t.json().value("token").toString().toLatin1();
    }

    void drainScenario(bool viaSignal);

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(QFileInfo::exists(smartbotdPath()));
        openssl = QStandardPaths::findExecutable("openssl");
        curl = QStandardPaths::findExecutable("curl");
        if (openssl.isEmpty() || curl.isEmpty())
            QSKIP("openssl and curl are needed (installers/setup-debian.sh installs them)");
        QVERIFY(makePki());
    }

    void httpsServesTls12Plus()
    {
        QTemporaryDir dir;
        tlsConfig(dir,
                  "[network]\nssl_enable = true\nssl_cert = server.pem\nssl_key = server.key\nrequest_timeout_s = 2\n",
                  {"server.pem", "server.key"});
        DaemonProcess d;
        QVERIFY2(d.start(dir.path(), {}, daemonEnv()), qPrintable(d.output()));
        QVERIFY2(d.output().contains(QStringLiteral("listening on https://127.0.0.1:%1").arg(d.port())),
                 qPrintable(d.output()));

        // curl trusts the server through the test CA, by IP and by name (subjectAltName).
        for (const char *host : {"127.0.0.1", "localhost"}) {
            const Tool t = curlHttps(d.port(), QString::fromLatin1(host), "/healthz");
            QVERIFY2(t.exitCode == 0 && t.output.endsWith("\n200") && t.output.contains("\"ok\""),
                     qPrintable(t.output));
        }
        const Tool token = curlHttps(d.port(), "127.0.0.1", "/admin/token",
                                     {"-H", "X-API-Key: " + QString::fromLatin1(kAdminKey), "-H",
                                      "Content-Type: application/json", "-d", "{\"username\":\"tls\"}"});
        QVERIFY2(token.output.endsWith("\n200") && token.output.contains("\"token\""), qPrintable(token.output));
        // Without the CA the certificate is not trusted (the check above is a real verification).
        const Tool untrusted =
            runTool(curl, {"-sS", "-m", "10", QStringLiteral("https://127.0.0.1:%1/healthz").arg(d.port())});
        QVERIFY2(untrusted.exitCode != 0, qPrintable(untrusted.output));

        // TLS 1.1 is refused by the server (the client is allowed to offer it).
        const QString target = QStringLiteral("127.0.0.1:%1").arg(d.port());
        const Tool tls11 =
            runTool(openssl, {"s_client", "-connect", target, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"});
        QVERIFY2(tls11.exitCode != 0 && tls11.output.contains("Cipher is (NONE)") &&
                     !tls11.output.contains("no protocols available"),
                 qPrintable(tls11.output));
        const Tool tls12 = runTool(openssl, {"s_client", "-connect", target, "-tls1_2", "-CAfile", pkiFile("ca.pem")});
        QVERIFY2(tls12.exitCode == 0 && tls12.output.contains("New, TLSv1.2"), qPrintable(tls12.output));
        // Issue 16, item 7: only forward-secret AEAD suites. Static RSA and CBC-SHA1 are refused; ECDHE-GCM, ECDHE
        // ChaCha20 and TLS 1.3 are served.
        for (const char *weak :
             {"AES128-SHA", "AES256-SHA", "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA384"}) {
            const Tool t = runTool(openssl, {"s_client", "-connect", target, "-tls1_2", "-cipher", weak});
            QVERIFY2(t.exitCode != 0 && t.output.contains("Cipher is (NONE)"), qPrintable(QString(weak) + t.output));
        }
        for (const char *strong :
             {"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"}) {
            const Tool t = runTool(
                openssl, {"s_client", "-connect", target, "-tls1_2", "-cipher", strong, "-CAfile", pkiFile("ca.pem")});
            QVERIFY2(t.exitCode == 0 && t.output.contains(QString("Cipher is ") + strong),
                     qPrintable(QString(strong) + t.output));
        }
        const Tool tls13 = runTool(openssl, {"s_client", "-connect", target, "-tls1_3", "-CAfile", pkiFile("ca.pem")});
        QVERIFY2(tls13.exitCode == 0 && tls13.output.contains("New, TLSv1.3"), qPrintable(tls13.output));
        const Tool curl11 = curlHttps(d.port(), "127.0.0.1", "/healthz", {"--tls-max", "1.1"});
        QVERIFY2(curl11.exitCode != 0, qPrintable(curl11.output));

        // Plain HTTP to the TLS port: the handshake fails, the connection closes, no HTTP response leaks.
        Client plain;
        plain.open(d.port());
        QVERIFY(plain.socket->waitForConnected(5000));
        plain.socket->write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QVERIFY(pumpUntil({&plain}, 5000, [&] { return plain.closed(); }));
        QVERIFY2(!plain.data.contains("HTTP/") && !plain.data.contains("ok"), plain.data.toHex().constData());
        QVERIFY2(plain.closedAfterMs < 1500, qPrintable(QString::number(plain.closedAfterMs)));

        // A handshake that never comes is dropped after request_timeout_s (2 s).
        Client silent;
        silent.open(d.port());
        QVERIFY(silent.socket->waitForConnected(5000));
        QVERIFY(pumpUntil({&silent}, 8000, [&] { return silent.closed(); }));
        QVERIFY2(silent.closedAfterMs >= 1500 && silent.closedAfterMs < 5000,
                 qPrintable(QString::number(silent.closedAfterMs)));
        QVERIFY(silent.data.isEmpty());
        qInfo("TLS: plain HTTP closed after %lld ms; silent handshake dropped after %lld ms", plain.closedAfterMs,
              silent.closedAfterMs);

        // The server still serves.
        QVERIFY(curlHttps(d.port(), "127.0.0.1", "/healthz").output.endsWith("\n200"));
    }

    void httpsWithEcKey()
    {
        QTemporaryDir dir;
        tlsConfig(dir, "[network]\nssl_enable = true\nssl_cert = ec.pem\nssl_key = ec.key\n", {"ec.pem", "ec.key"});
        DaemonProcess d;
        QVERIFY2(d.start(dir.path(), {}, daemonEnv()), qPrintable(d.output()));
        const Tool t = curlHttps(d.port(), "localhost", "/healthz");
        QVERIFY2(t.output.endsWith("\n200"), qPrintable(t.output));
    }

    void refusesBadTlsSetups_data()
    {
        QTest::addColumn<QByteArray>("conf");
        QTest::addColumn<QStringList>("files");
        QTest::addColumn<int>("keyMode");
        QTest::addColumn<QStringList>("needles");
        const QStringList pair{"server.pem", "server.key"};
        QTest::newRow("expired") << QByteArray("ssl_cert = expired.pem\nssl_key = server.key\n")
                                 << QStringList{"expired.pem", "server.key"} << 0600
                                 << QStringList{"ssl_cert", "expired.pem", "expired on"};
        QTest::newRow("not yet valid") << QByteArray("ssl_cert = future.pem\nssl_key = server.key\n")
                                       << QStringList{"future.pem", "server.key"} << 0600
                                       << QStringList{"ssl_cert", "future.pem", "not valid until 2099-12-31"};
        QTest::newRow("mismatched key") << QByteArray("ssl_cert = server.pem\nssl_key = other.key\n")
                                        << QStringList{"server.pem", "other.key"} << 0600
                                        << QStringList{"ssl_key", "other.key", "does not match"};
        QTest::newRow("garbage cert") << QByteArray("ssl_cert = garbage.pem\nssl_key = server.key\n")
                                      << QStringList{"garbage.pem", "server.key"} << 0600
                                      << QStringList{"ssl_cert", "garbage.pem", "no PEM certificate"};
        QTest::newRow("garbage key") << QByteArray("ssl_cert = server.pem\nssl_key = server.pem\n")
                                     << QStringList{"server.pem"} << 0600
                                     << QStringList{"ssl_key", "not a PEM RSA or EC private key"};
        QTest::newRow("group-readable key") << QByteArray("ssl_cert = server.pem\nssl_key = server.key\n") << pair
                                            << 0640 << QStringList{"server.key", "0640"};
        QTest::newRow("missing key") << QByteArray("ssl_cert = server.pem\nssl_key = nope.key\n")
                                     << QStringList{"server.pem"} << 0600
                                     << QStringList{"ssl_key", "nope.key", "cannot be read"};
        QTest::newRow("no cert") << QByteArray("ssl_key = server.key\n") << pair << 0600
                                 << QStringList{"ssl_enable", "ssl_cert"};
    }
    void refusesBadTlsSetups()
    {
        QFETCH(QByteArray, conf);
        QFETCH(QStringList, files);
        QFETCH(int, keyMode);
        QFETCH(QStringList, needles);
        QTemporaryDir dir;
        tlsConfig(dir, "[network]\nssl_enable = true\n" + conf, files);
        if (keyMode != 0600)
            QVERIFY(::chmod(QFile::encodeName(dir.filePath("server.key")).constData(), mode_t(keyMode)) == 0);
        QProcess p;
        p.setProcessEnvironment(daemonEnv());
        p.start(smartbotdPath(), {"serve", "--config", dir.path(), "--port", "0"});
        QVERIFY(p.waitForFinished(20000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() != 0, qPrintable(err));
        for (const QString &n : needles)
            QVERIFY2(err.contains(n), qPrintable(QStringLiteral("'%1' not in: %2").arg(n, err)));
        QVERIFY2(!err.contains("listening on"), qPrintable(err));
    }

    // Slow and idle clients do not starve others; every limit answers as documented.
    void limitsAndSlowClients()
    {
        QTemporaryDir dir;
        writeFile(dir.filePath("server.conf"),
                  "[network]\nrequest_timeout_s = 3\nidle_timeout_s = 3\nfirst_byte_timeout_s = 3\n"
                  "max_connections = 260\nmax_connections_per_address = 1000\n");
        DaemonProcess d;
        QVERIFY2(d.start(dir.path(), {}, daemonEnv()), qPrintable(d.output()));

        Clients idle, heads, bodies;
        for (int i = 0; i < 200; ++i)
            idle.push_back(std::make_unique<Client>());
        for (int i = 0; i < 40; ++i)
            heads.push_back(std::make_unique<Client>());
        for (int i = 0; i < 10; ++i)
            bodies.push_back(std::make_unique<Client>());
        std::vector<Client *> bad;
        for (Clients *group : {&idle, &heads, &bodies})
            for (auto &c : *group) {
                c->open(d.port());
                bad.push_back(c.get());
            }
        QVERIFY(pumpUntil(bad, 5000, [&] {
            return std::all_of(bad.begin(), bad.end(),
                               [](Client *c) { return c->socket->state() == QAbstractSocket::ConnectedState; });
        }));
        for (auto &c : heads) // half a request head, never finished
            c->socket->write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
        for (auto &c : bodies) // a whole head, a tenth of the body
            c->socket->write("POST /admin/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             "Content-Length: 100\r\n\r\n{\"username\"");
        QTest::qWait(200); // the server has accepted and read them all

        // A normal client is served at once while 250 bad connections are open.
        QElapsedTimer t;
        t.start();
        const HttpReply ok = d.request("GET", "/healthz");
        const qint64 normalMs = t.elapsed();
        QCOMPARE(ok.status, 200);
        t.restart();
        const HttpReply token = d.postJson("/admin/token", {{"username", "u"}}, {{"X-API-Key", kAdminKey}});
        const qint64 tokenMs = t.elapsed();
        QCOMPARE(token.status, 200);
        qInfo("with 200 idle + 50 half-sent connections open: GET /healthz took %lld ms, POST /admin/token %lld ms",
              normalMs, tokenMs);
        QVERIFY2(normalMs < 1000 && tokenMs < 1000, "a normal request was slowed down by idle/slow clients");

        // Fill up to max_connections (260); one of them does a request first and then stays idle (keep-alive).
        QTest::qWait(200); // the server has seen the two normal connections close
        Clients fillers;
        for (int i = 0; i < 10; ++i) {
            fillers.push_back(std::make_unique<Client>());
            fillers.back()->open(d.port());
        }
        Client *keepAlive = fillers.front().get();
        QVERIFY(keepAlive->socket->waitForConnected(5000));
        keepAlive->socket->write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY(pumpUntil(ptrs(fillers), 3000, [&] { return parse(keepAlive->data).complete; }));
        QElapsedTimer sinceKeepAliveReply;
        sinceKeepAliveReply.start();
        QCOMPARE(parse(keepAlive->data).status, 200);
        QVERIFY(pumpUntil(ptrs(fillers), 3000, [&] {
            return std::all_of(fillers.begin(), fillers.end(),
                               [](const auto &c) { return c->socket->state() == QAbstractSocket::ConnectedState; });
        }));
        QTest::qWait(100);
        for (const auto &c : fillers) // none of the 260 was refused
            QVERIFY2(c.get() == keepAlive || c->data.isEmpty(), c->data.constData());
        // Connection 261: the connection idle for longest (one of the 200 silent ones) is closed to make room, and
        // the new one is served.
        const HttpReply over = d.request("GET", "/healthz");
        QCOMPARE(over.status, 200);
        QVERIFY(pumpUntil(bad, 1000, [&] {
            return std::count_if(idle.begin(), idle.end(), [](const auto &c) { return c->closed(); }) >= 1;
        }));
        const auto evictedEarly = std::count_if(idle.begin(), idle.end(), [](const auto &c) { return c->closed(); });
        QCOMPARE(evictedEarly, 1);
        const qint64 fillMs = bad.front()->opened.elapsed();
        QVERIFY2(fillMs < 2500, "the machine is too slow for this test's timing (filling took too long)");

        // The timeouts: half-sent requests get 408 after request_timeout_s (3 s) even while trickling bytes;
        // idle connections are closed without a word after idle_timeout_s (3 s).
        std::vector<Client *> all = bad;
        for (auto &c : fillers)
            all.push_back(c.get());
        int trickle = 0;
        QVERIFY(pumpUntil(all, 9000, [&] {
            if (++trickle % 10 == 0) // a byte every ~200 ms on a few heads: activity does not extend the request
                for (int i = 0; i < 5; ++i)
                    if (heads[i]->socket->state() == QAbstractSocket::ConnectedState)
                        heads[i]->socket->write("a");
            return std::all_of(all.begin(), all.end(), [](Client *c) { return c->closed(); });
        }));
        for (Clients *group : {&heads, &bodies})
            for (auto &c : *group) {
                const Parsed p = parse(c->data);
                QCOMPARE(p.status, 408);
                QCOMPARE(p.errorCode(), QStringLiteral("request_timeout"));
                QCOMPARE(p.contentType, QByteArray("application/json"));
                QVERIFY2(c->closedAfterMs >= 2700 && c->closedAfterMs < 7000,
                         qPrintable(QString::number(c->closedAfterMs)));
            }
        qint64 firstIdleClose = 1 << 30;
        int evicted = 0;
        for (auto &c : idle) {
            QVERIFY2(c->data.isEmpty(), c->data.constData());
            if (c->closedAfterMs < 2700) { // the one closed to make room for connection 261
                ++evicted;
                continue;
            }
            QVERIFY2(c->closedAfterMs < 8000, qPrintable(QString::number(c->closedAfterMs)));
            firstIdleClose = std::min(firstIdleClose, c->closedAfterMs);
        }
        QCOMPARE(evicted, 1);
        const qint64 keepAliveIdleMs =
            keepAlive->closedAfterMs - (keepAlive->opened.elapsed() - sinceKeepAliveReply.elapsed());
        QVERIFY2(keepAliveIdleMs >= 2700, qPrintable(QString::number(keepAliveIdleMs)));
        QCOMPARE(parse(keepAlive->data).status, 200); // nothing but its one reply
        qInfo(
            "408 and idle closes after >= %lld ms (timeouts 3 s); kept-alive connection closed %lld ms after its reply",
            firstIdleClose, keepAliveIdleMs);

        // Room again.
        QCOMPARE(d.request("GET", "/healthz").status, 200);
    }

    // Issue 16, item 3: one address cannot take every slot; a silent connection is closed after
    // first_byte_timeout_s, a kept-alive one after idle_timeout_s; with nothing idle the global limit answers 503.
    void fairShareAndFirstByteTimeout()
    {
        QTemporaryDir dir;
        writeFile(dir.filePath("server.conf"), "[network]\nfirst_byte_timeout_s = 1\nidle_timeout_s = 60\n"
                                               "request_timeout_s = 30\nmax_connections = 40\n"
                                               "max_connections_per_address = 10\n");
        DaemonProcess d;
        QVERIFY2(d.start(dir.path(), {}, daemonEnv()), qPrintable(d.output()));

        // 127.0.0.1 takes its whole share (10): a kept-alive connection that made one request, and 9 silent ones.
        Client keepAlive;
        keepAlive.open(d.port());
        QVERIFY(keepAlive.socket->waitForConnected(5000));
        keepAlive.socket->write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY(pumpUntil({&keepAlive}, 3000, [&] { return parse(keepAlive.data).complete; }));
        Clients silent;
        for (int i = 0; i < 9; ++i) {
            silent.push_back(std::make_unique<Client>());
            silent.back()->open(d.port());
        }
        QVERIFY(pumpUntil(ptrs(silent), 3000, [&] {
            return std::all_of(silent.begin(), silent.end(),
                               [](const auto &c) { return c->socket->state() == QAbstractSocket::ConnectedState; });
        }));
        QTest::qWait(100);
        const HttpReply refused = d.request("GET", "/healthz");
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.errorCode(), QStringLiteral("too_many_connections"));
        QVERIFY2(refused.json().value("error").toObject().value("message").toString().contains("from your address"),
                 refused.body.constData());
        QCOMPARE(refused.header("Retry-After"), QByteArray("1"));
        // Another address is served meanwhile.
        d.setSourceAddress(QStringLiteral("127.0.0.2"));
        QCOMPARE(d.request("GET", "/healthz").status, 200);
        d.setSourceAddress({});

        // The silent ones are closed after first_byte_timeout_s (1 s), without a word; the kept-alive one is not.
        std::vector<Client *> all = ptrs(silent);
        all.push_back(&keepAlive);
        QVERIFY(pumpUntil(all, 4000, [&] {
            return std::all_of(silent.begin(), silent.end(), [](const auto &c) { return c->closed(); });
        }));
        for (const auto &c : silent) {
            QVERIFY2(c->closedAfterMs >= 800 && c->closedAfterMs < 3000, qPrintable(QString::number(c->closedAfterMs)));
            QVERIFY(c->data.isEmpty());
        }
        QVERIFY(!keepAlive.closed());
        QCOMPARE(d.request("GET", "/healthz").status, 200); // 127.0.0.1 has room again

        // Nothing idle: four addresses each hold 10 connections in the middle of a request head; the 41st
        // connection is refused by the global limit (there is no idle one to close).
        keepAlive.socket->abort();
        Clients busy;
        for (int a = 1; a <= 4; ++a)
            for (int i = 0; i < 10; ++i) {
                busy.push_back(std::make_unique<Client>());
                busy.back()->open(d.port(), QStringLiteral("127.0.0.%1").arg(a));
            }
        QVERIFY(pumpUntil(ptrs(busy), 3000, [&] {
            return std::all_of(busy.begin(), busy.end(),
                               [](const auto &c) { return c->socket->state() == QAbstractSocket::ConnectedState; });
        }));
        for (auto &c : busy)
            c->socket->write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
        QTest::qWait(300);
        d.setSourceAddress(QStringLiteral("127.0.0.5"));
        const HttpReply full = d.request("GET", "/healthz");
        QCOMPARE(full.status, 503);
        QVERIFY2(full.json().value("error").toObject().value("message").toString().contains("40 connections open"),
                 full.body.constData());
        for (const auto &c : busy) // none of them was closed to make room
            QVERIFY(!c->closed());
    }

    void drainViaAdminRoute() { drainScenario(false); }
    void drainViaSigterm() { drainScenario(true); }

    void drainGivesUpAfterTimeout()
    {
        QTemporaryDir dir;
        writeFile(dir.filePath("server.conf"), "[network]\ndrain_timeout_s = 1\n");
        DaemonProcess d;
        QVERIFY2(d.start(dir.path(), {"--model", sharedModelDir()}, daemonEnv()), qPrintable(d.output()));
        QVERIFY2(d.waitForLog("ready"), qPrintable(d.output()));
        const QByteArray token = issueToken(d);
        Clients chats;
        for (int i = 0; i < 60; ++i) {
            chats.push_back(std::make_unique<Client>());
            chats.back()->open(d.port());
            QVERIFY(chats.back()->socket->waitForConnected(5000));
            chats.back()->socket->write(chatRequest(token, i));
        }
        QTest::qWait(300);
        QElapsedTimer t;
        t.start();
        d.process().terminate();
        QVERIFY(d.process().waitForFinished(10000));
        const qint64 exitMs = t.elapsed();
        QCOMPARE(d.process().exitStatus(), QProcess::NormalExit);
        QCOMPARE(d.process().exitCode(), 0);
        d.waitForLog("stopped", 1000);
        QVERIFY2(exitMs < 4000, qPrintable(QString::number(exitMs)));
        if (!d.output().contains("drain_timeout_s (1) reached"))
            QWARN("all queued generations finished within 1 s: the give-up path was not exercised");
        qInfo("SIGTERM with 60 generations queued and drain_timeout_s = 1: exited 0 after %lld ms", exitMs);
    }
};

// Generations queued before the drain complete (200, the stream too), even though they wait far longer than
// request_timeout_s and idle_timeout_s (1 s); new chat requests get 503 "draining"; readyz 503; exit 0.
void TestTransport::drainScenario(bool viaSignal)
{
    QTemporaryDir dir;
    writeFile(dir.filePath("server.conf"),
              "[network]\nrequest_timeout_s = 1\nidle_timeout_s = 1\ndrain_timeout_s = 30\n");
    DaemonProcess d;
    QVERIFY2(d.start(dir.path(), {"--model", sharedModelDir()}, daemonEnv()), qPrintable(d.output()));
    QVERIFY2(d.waitForLog("ready"), qPrintable(d.output()));
    const QByteArray token = issueToken(d);
    QVERIFY(!token.isEmpty());
    QCOMPARE(d.request("GET", "/readyz").status, 200);

    const int n = 40;
    Clients chats;
    for (int i = 0; i < n; ++i) {
        chats.push_back(std::make_unique<Client>());
        chats.back()->open(d.port());
        QVERIFY(chats.back()->socket->waitForConnected(5000));
        chats.back()->socket->write(chatRequest(token, i, i == n - 1)); // the last one streams (SSE)
    }
    QTest::qWait(300); // all accepted and queued

    QElapsedTimer sinceDrain;
    sinceDrain.start();
    if (viaSignal) {
        d.process().terminate();
    } else {
        QCOMPARE(d.postJson("/admin/drain", {}).status, 401);
        const HttpReply r = d.postJson("/admin/drain", {}, {{"X-API-Key", kAdminKey}});
        QCOMPARE(r.status, 202);
        QCOMPARE(r.json().value("status").toString(), QStringLiteral("draining"));
    }
    HttpReply ready;
    QVERIFY(QTest::qWaitFor([&] { return (ready = d.request("GET", "/readyz")).status == 503; }, 2000));
    QCOMPARE(ready.json().value("status").toString(), QStringLiteral("draining"));
    QCOMPARE(d.request("GET", "/healthz").status, 200);
    const HttpReply fresh =
        d.postJson("/api/v1/chat", {{"message", "Hello"}, {"max_tokens", 4}}, {{"Authorization", "Bearer " + token}});
    QCOMPARE(fresh.status, 503);
    QCOMPARE(fresh.errorCode(), QStringLiteral("draining"));
    QVERIFY(!fresh.header("Retry-After").isEmpty());

    // Everything accepted before the drain completes.
    QVERIFY2(pumpUntil(ptrs(chats), 30000,
                       [&] {
                           return std::all_of(chats.begin(), chats.end(),
                                              [](const auto &c) { return parse(c->data).complete || c->closed(); });
                       }),
             qPrintable(d.output()));
    qint64 lastMs = 0;
    for (int i = 0; i < n; ++i) {
        const Parsed p = parse(chats[i]->data);
        QVERIFY2(p.complete && p.status == 200, chats[i]->data.left(300).constData());
        lastMs = std::max(lastMs, chats[i]->opened.elapsed());
    }
    const Parsed stream = parse(chats.back()->data);
    QVERIFY(stream.contentType.startsWith("text/event-stream"));
    QVERIFY2(stream.body.contains("[DONE]"), stream.body.right(200).constData());

    QVERIFY(d.process().waitForFinished(30000));
    const qint64 exitMs = sinceDrain.elapsed();
    d.waitForLog("stopped", 1000);
    QCOMPARE(d.process().exitStatus(), QProcess::NormalExit);
    QCOMPARE(d.process().exitCode(), 0);
    QVERIFY2(d.output().contains("drained after"), qPrintable(d.output()));
    const auto m = QRegularExpression("waiting up to \\d+ s for (\\d+) generation").match(d.output());
    QVERIFY2(m.hasMatch() && m.captured(1).toInt() > 0, qPrintable(d.output()));
    if (lastMs < 1500)
        QWARN("generations finished within 1.5 s: the 'pending reply is not cut by request/idle timeouts' case was "
              "barely exercised");
    qInfo("drain via %s: %s generations in flight at the start; all %d answered 200 (last after %lld ms); exited 0 "
          "%lld ms after the drain began",
          viaSignal ? "SIGTERM" : "POST /admin/drain", qPrintable(m.captured(1)), n, lastMs, exitMs);
}

QTEST_GUILESS_MAIN(TestTransport)
#include "test_transport.moc"
