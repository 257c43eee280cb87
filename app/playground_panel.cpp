#include "app/playground_panel.h"

#include <QClipboard>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "app/panel_text.h"
#include "core/audit_log.h"
#include "core/token_ledger.h"
#include "http/auth/authenticator.h"
#include "http/server/smartbot_server.h"
#include "smartbot/common/units.h"

namespace smartbot::gui {

namespace {
constexpr int kDefaultMaxTokens = 128;
constexpr qint64 kTokenSeconds = kSecondsPerHour; // the playground's own token: short-lived, re-issued as needed
const QString kSubject = QStringLiteral("playground");
} // namespace

PlaygroundPanel::PlaygroundPanel(http::SmartbotServer *server, QWidget *parent)
    : QWidget(parent), server_(server), nam_(new QNetworkAccessManager(this))
{
    nam_->setProxy(QNetworkProxy::NoProxy); // the server's own address: never through a proxy
    notice_ = new QLabel(this);
    notice_->setObjectName(QStringLiteral("playgroundNotice"));
    notice_->setWordWrap(true);
    modelLabel_ = new QLabel(this);
    modelName_ = new QLabel(this);
    modelName_->setObjectName(QStringLiteral("playgroundModel"));
    maxTokensLabel_ = new QLabel(this);
    maxTokensSpin_ = new QSpinBox(this);
    maxTokensSpin_->setObjectName(QStringLiteral("playgroundMaxTokens"));
    maxTokensSpin_->setRange(1, 4096);
    maxTokensSpin_->setValue(kDefaultMaxTokens);
    temperatureLabel_ = new QLabel(this);
    temperatureSpin_ = new QDoubleSpinBox(this);
    temperatureSpin_->setObjectName(QStringLiteral("playgroundTemperature"));
    temperatureSpin_->setRange(0, 2);
    temperatureSpin_->setSingleStep(0.1);
    temperatureSpin_->setValue(0.8);

    messageEdit_ = new QPlainTextEdit(this);
    messageEdit_->setObjectName(QStringLiteral("playgroundMessage"));
    messageEdit_->setFixedHeight(messageEdit_->fontMetrics().lineSpacing() * 5);
    sendButton_ = new QPushButton(this);
    sendButton_->setObjectName(QStringLiteral("playgroundSend"));
    stopButton_ = new QPushButton(this);
    stopButton_->setObjectName(QStringLiteral("playgroundStop"));
    connect(sendButton_, &QPushButton::clicked, this, &PlaygroundPanel::send);
    connect(stopButton_, &QPushButton::clicked, this, &PlaygroundPanel::stop);
    connect(messageEdit_, &QPlainTextEdit::textChanged, this, &PlaygroundPanel::refresh);
    connect(maxTokensSpin_, &QSpinBox::valueChanged, this, &PlaygroundPanel::refresh);
    connect(temperatureSpin_, &QDoubleSpinBox::valueChanged, this, &PlaygroundPanel::refresh);

    replyLabel_ = new QLabel(this);
    replyView_ = new QPlainTextEdit(this);
    replyView_->setObjectName(QStringLiteral("playgroundReply"));
    replyView_->setReadOnly(true);
    curlLabel_ = new QLabel(this);
    curlView_ = new QPlainTextEdit(this);
    curlView_->setObjectName(QStringLiteral("playgroundCurl"));
    curlView_->setReadOnly(true);
    curlView_->setLineWrapMode(QPlainTextEdit::NoWrap);
    curlView_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    curlView_->setFixedHeight(curlView_->fontMetrics().lineSpacing() * 6);
    copyCurlButton_ = new QPushButton(this);
    copyCurlButton_->setObjectName(QStringLiteral("playgroundCopyCurl"));
    connect(copyCurlButton_, &QPushButton::clicked, this, [this] {
        QGuiApplication::clipboard()->setText(curlView_->toPlainText());
        Q_EMIT statusMessage(tr("curl command copied to the clipboard"));
    });

    auto *settings = new QHBoxLayout;
    settings->addWidget(modelLabel_);
    settings->addWidget(modelName_, 1);
    settings->addWidget(maxTokensLabel_);
    settings->addWidget(maxTokensSpin_);
    settings->addWidget(temperatureLabel_);
    settings->addWidget(temperatureSpin_);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(stopButton_);
    buttons->addWidget(sendButton_);
    auto *curlRow = new QHBoxLayout;
    curlRow->addWidget(curlView_, 1);
    curlRow->addWidget(copyCurlButton_, 0, Qt::AlignTop);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(notice_);
    layout->addLayout(settings);
    layout->addWidget(messageEdit_);
    layout->addLayout(buttons);
    layout->addWidget(replyLabel_);
    layout->addWidget(replyView_, 1);
    layout->addWidget(curlLabel_);
    layout->addLayout(curlRow);

    connect(server_, &http::SmartbotServer::runningChanged, this, [this](bool running) {
        if (!running) {
            stop();
            token_.clear(); // another run may have another signing key
        }
        refresh();
    });
    connect(server_, &http::SmartbotServer::modelStateChanged, this, &PlaygroundPanel::refresh);
    retranslateUi();
    refresh();
}

void PlaygroundPanel::refresh()
{
    const bool running = server_->isRunning();
    const bool ready = running && server_->modelState() == service::InferenceWorker::ModelState::Ready;
    notice_->setVisible(!ready);
    modelName_->setText(ready ? server_->modelName() : QString());
    sendButton_->setEnabled(ready && !isBusy() && !messageEdit_->toPlainText().trimmed().isEmpty());
    stopButton_->setEnabled(isBusy());
    if (running)
        curlView_->setPlainText(
            QStringLiteral("curl -sN %1/v1/chat/completions \\\n  -H \"Authorization: Bearer $TOKEN\" \\\n"
                           "  -H 'Content-Type: application/json' \\\n  -d '%2'")
                .arg(server_->url().toString(),
                     // single-quoted for the shell: a ' in the message is written '\''
                     QString::fromUtf8(requestBody()).replace(QLatin1Char('\''), QStringLiteral("'\\''"))));
}

QByteArray PlaygroundPanel::requestBody() const
{
    const QJsonObject message{{QStringLiteral("role"), QStringLiteral("user")},
                              {QStringLiteral("content"), messageEdit_->toPlainText()}};
    const QJsonObject body{{QStringLiteral("model"), server_->modelName()},
                           {QStringLiteral("messages"), QJsonArray{message}},
                           {QStringLiteral("max_tokens"), maxTokensSpin_->value()},
                           {QStringLiteral("temperature"), temperatureSpin_->value()},
                           {QStringLiteral("stream"), true}};
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

QByteArray PlaygroundPanel::token()
{
    http::Authenticator *auth = server_->authenticator();
    if (!auth)
        return {};
    if (!token_.isEmpty() && auth->tokens().verify(token_).ok())
        return token_;
    auto issued = auth->tokens().issue(kSubject, kTokenSeconds);
    if (!issued) {
        Q_EMIT statusMessage(tr("No token for the playground: %1").arg(QString::fromStdString(issued.error())));
        return {};
    }
    const QString actor = guiActor();
    auth->tokenLedger().record(issued->claims, actor);
    auth->auditLog().record(
        actor, QStringLiteral("local"), QStringLiteral("token.issue"),
        QStringLiteral("user %1, jti %2, %3 s (playground)").arg(kSubject, issued->claims.jti).arg(kTokenSeconds));
    token_ = issued->token;
    return token_;
}

void PlaygroundPanel::send()
{
    if (isBusy() || !server_->isRunning())
        return;
    const QByteArray bearer = token();
    if (bearer.isEmpty())
        return;
    QNetworkRequest request(server_->url().resolved(QUrl(QStringLiteral("/v1/chat/completions"))));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Authorization", "Bearer " + bearer);
    request.setRawHeader("Accept", "text/event-stream");
    replyView_->clear();
    pending_.clear();
    sawDone_ = false;
    reply_ = nam_->post(request, requestBody());
    connect(reply_, &QNetworkReply::readyRead, this, &PlaygroundPanel::readStream);
    connect(reply_, &QNetworkReply::finished, this, &PlaygroundPanel::finish);
    refresh();
}

void PlaygroundPanel::readStream()
{
    if (!reply_)
        return;
    pending_ += reply_->readAll();
    // Server-sent events: "data: {json}\n\n" per chunk, then "data: [DONE]".
    qsizetype end;
    while ((end = pending_.indexOf("\n\n")) >= 0) {
        const QByteArray event = pending_.left(end);
        pending_.remove(0, end + 2);
        for (const QByteArray &line : event.split('\n')) {
            if (!line.startsWith("data: "))
                continue;
            const QByteArray data = line.mid(6).trimmed();
            if (data == "[DONE]") {
                sawDone_ = true;
                continue;
            }
            const QJsonObject chunk = QJsonDocument::fromJson(data).object();
            const QJsonArray choices = chunk.value(QStringLiteral("choices")).toArray();
            const QString piece = choices.isEmpty() ? QString()
                                                    : choices.first()
                                                          .toObject()
                                                          .value(QStringLiteral("delta"))
                                                          .toObject()
                                                          .value(QStringLiteral("content"))
                                                          .toString();
            if (piece.isEmpty())
                continue;
            replyView_->moveCursor(QTextCursor::End);
            replyView_->insertPlainText(piece);
            Q_EMIT pieceReceived(piece);
        }
    }
}

void PlaygroundPanel::finish()
{
    if (!reply_)
        return;
    readStream();
    const int status = reply_->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    bool ok = sawDone_ && status == 200;
    if (reply_->error() == QNetworkReply::OperationCanceledError) {
        replyView_->appendPlainText(tr("[stopped]"));
        ok = false;
    } else if (!ok) {
        // The server's error JSON says what went wrong; show its message.
        const QJsonObject error =
            QJsonDocument::fromJson(pending_ + reply_->readAll()).object().value(QStringLiteral("error")).toObject();
        const QString why = error.value(QStringLiteral("message")).toString();
        replyView_->appendPlainText(tr("[error %1: %2]").arg(status).arg(why.isEmpty() ? reply_->errorString() : why));
    }
    reply_->deleteLater();
    reply_ = nullptr;
    refresh();
    Q_EMIT finished(ok);
}

void PlaygroundPanel::stop()
{
    if (reply_)
        reply_->abort(); // finished() follows, with OperationCanceledError
}

void PlaygroundPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslateUi();
    QWidget::changeEvent(event);
}

void PlaygroundPanel::retranslateUi()
{
    notice_->setText(tr("Start the server and wait for its model to be ready to try it here."));
    modelLabel_->setText(tr("Model:"));
    maxTokensLabel_->setText(tr("Max tokens:"));
    temperatureLabel_->setText(tr("Temperature:"));
    messageEdit_->setPlaceholderText(tr("Your message, e.g. Once upon a time"));
    sendButton_->setText(tr("Send"));
    stopButton_->setText(tr("Stop"));
    replyLabel_->setText(tr("Reply (streamed):"));
    curlLabel_->setText(tr("The same request with curl (TOKEN: a token from the Tokens panel):"));
    copyCurlButton_->setText(tr("Copy curl"));
}

} // namespace smartbot::gui
