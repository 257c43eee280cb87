// DashboardPanel: live charts of the last 15 minutes, read from the in-process metrics (Metrics::snapshot(), no HTTP
// round trip) once per sample interval (1 s): requests/s, request latency p50/p99 and time to first token p50 over
// each interval, generated tokens/s, running streams and queue depth, KV-cache memory in use. A line under the charts
// gives the newest figures as text. Threading: GUI thread (Metrics is locked and may be read from any thread).
#pragma once

#include <QWidget>

#include <optional>

#include "core/metrics.h"

class QLabel;
class QTimer;
class QChart;
class QLineSeries;

namespace smartbot::http {
class SmartbotServer;
}

namespace smartbot::gui {

class DashboardPanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int kWindowSeconds = 15 * 60;

    explicit DashboardPanel(http::SmartbotServer *server, QWidget *parent = nullptr);

    void setSampleInterval(int ms); // default 1000; tests use less
    void sample();                  // one reading now (also what the timer calls)
    // The charts' series by name: "requests", "latency_p50", "latency_p99", "ttft_p50", "tokens", "streams",
    // "queue", "kv" (for tests).
    QLineSeries *series(const QString &name) const;

protected:
    void changeEvent(QEvent *event) override;

private:
    struct Chart {
        QChart *chart = nullptr;
        const char *title = nullptr; // untranslated
    };
    void retranslateUi();
    QChart *addChart(const char *title, const QList<QPair<QString, const char *>> &series);
    void append(const QString &name, double x, double y);

    http::SmartbotServer *server_;
    QTimer *timer_ = nullptr;
    QLabel *summary_ = nullptr;
    QList<Chart> charts_;
    QHash<QString, QLineSeries *> series_;
    QHash<QString, const char *> seriesTitles_; // untranslated legend names
    std::optional<MetricsSnapshot> last_;
    qint64 startedMs_ = 0;
    qint64 lastMs_ = 0;
};

} // namespace smartbot::gui
