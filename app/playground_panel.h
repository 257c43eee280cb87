// PlaygroundPanel: try the running server as a client would: write a message, send it to POST /v1/chat/completions
// over the server's own address (streamed, as the OpenAI SDKs do), watch the reply arrive piece by piece, stop it, and
// copy the equivalent curl command. The request carries a short-lived JWT the panel issues itself (subject
// "playground", recorded in the token ledger and audit log once per server run), so it goes through the same
// authentication, limits, usage and metrics as any client's. Threading: GUI thread; the reply is read as it arrives.
#pragma once

#include <QByteArray>
#include <QNetworkReply>
#include <QPointer>
#include <QWidget>

class QDoubleSpinBox;
class QLabel;
class QNetworkAccessManager;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace smartbot::http {
class SmartbotServer;
}

namespace smartbot::gui {

class PlaygroundPanel : public QWidget {
    Q_OBJECT
public:
    explicit PlaygroundPanel(http::SmartbotServer *server, QWidget *parent = nullptr);

    void send();
    void stop();
    bool isBusy() const { return reply_ != nullptr; }

Q_SIGNALS:
    void pieceReceived(const QString &text); // each streamed piece of the reply
    void finished(bool ok);                  // the reply is complete (false: an error or Stop; the view says which)
    void statusMessage(const QString &text);

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslateUi();
    void refresh();
    void readStream();
    void finish();
    QByteArray requestBody() const;
    QByteArray token();

    http::SmartbotServer *server_;
    QNetworkAccessManager *nam_ = nullptr;
    QPointer<QNetworkReply> reply_;
    QByteArray pending_;   // stream bytes not yet a whole SSE event
    QByteArray token_;     // this server run's playground token
    bool sawDone_ = false; // the stream ended with [DONE]
    QLabel *notice_ = nullptr;
    QLabel *modelLabel_ = nullptr;
    QLabel *modelName_ = nullptr;
    QLabel *maxTokensLabel_ = nullptr;
    QSpinBox *maxTokensSpin_ = nullptr;
    QLabel *temperatureLabel_ = nullptr;
    QDoubleSpinBox *temperatureSpin_ = nullptr;
    QPlainTextEdit *messageEdit_ = nullptr;
    QPushButton *sendButton_ = nullptr;
    QPushButton *stopButton_ = nullptr;
    QLabel *replyLabel_ = nullptr;
    QPlainTextEdit *replyView_ = nullptr;
    QLabel *curlLabel_ = nullptr;
    QPlainTextEdit *curlView_ = nullptr;
    QPushButton *copyCurlButton_ = nullptr;
};

} // namespace smartbot::gui
