#include "app/dashboard_panel.h"

#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QEvent>
#include <QGridLayout>
#include <QLabel>
#include <QLineSeries>
#include <QTimer>
#include <QValueAxis>
#include <QVBoxLayout>

#include <cmath>

#include "http/server/smartbot_server.h"
#include "smartbot/common/units.h"

namespace smartbot::gui {

namespace {
constexpr int kDefaultIntervalMs = 1000;
constexpr double kMs = 1000.0;

QValueAxis *axis(QChart *chart, Qt::Orientation o)
{
    const auto axes = chart->axes(o);
    return axes.isEmpty() ? nullptr : qobject_cast<QValueAxis *>(axes.first());
}
} // namespace

DashboardPanel::DashboardPanel(http::SmartbotServer *server, QWidget *parent) : QWidget(parent), server_(server)
{
    auto *grid = new QGridLayout;
    const QList<QChart *> charts = {
        addChart(QT_TR_NOOP("Requests per second"), {{QStringLiteral("requests"), QT_TR_NOOP("requests/s")}}),
        addChart(QT_TR_NOOP("Latency (ms)"), {{QStringLiteral("latency_p50"), QT_TR_NOOP("request p50")},
                                              {QStringLiteral("latency_p99"), QT_TR_NOOP("request p99")},
                                              {QStringLiteral("ttft_p50"), QT_TR_NOOP("first token p50")}}),
        addChart(QT_TR_NOOP("Generated tokens per second"), {{QStringLiteral("tokens"), QT_TR_NOOP("tokens/s")}}),
        addChart(QT_TR_NOOP("Streams and queue"),
                 {{QStringLiteral("streams"), QT_TR_NOOP("running")}, {QStringLiteral("queue"), QT_TR_NOOP("queued")}}),
        addChart(QT_TR_NOOP("KV cache in use (MiB)"), {{QStringLiteral("kv"), QT_TR_NOOP("sequences + prefix cache")}}),
    };
    constexpr int kColumns = 2;
    for (int i = 0; i < charts.size(); ++i) {
        auto *view = new QChartView(charts[i], this);
        view->setRenderHint(QPainter::Antialiasing);
        view->setMinimumHeight(160);
        grid->addWidget(view, i / kColumns, i % kColumns);
    }
    summary_ = new QLabel(this);
    summary_->setObjectName(QStringLiteral("dashboardSummary"));
    summary_->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(grid, 1);
    layout->addWidget(summary_);

    timer_ = new QTimer(this);
    timer_->setInterval(kDefaultIntervalMs);
    connect(timer_, &QTimer::timeout, this, &DashboardPanel::sample);
    timer_->start();
    startedMs_ = QDateTime::currentMSecsSinceEpoch();
    retranslateUi();
    sample();
}

QChart *DashboardPanel::addChart(const char *title, const QList<QPair<QString, const char *>> &series)
{
    auto *chart = new QChart;
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    auto *x = new QValueAxis(chart);
    x->setLabelFormat(QStringLiteral("%d"));
    x->setRange(-kWindowSeconds, 0);
    auto *y = new QValueAxis(chart);
    y->setRange(0, 1);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    for (const auto &[name, legend] : series) {
        auto *s = new QLineSeries(chart);
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
        series_.insert(name, s);
        seriesTitles_.insert(name, legend);
    }
    charts_.push_back({chart, title});
    return chart;
}

void DashboardPanel::setSampleInterval(int ms)
{
    timer_->setInterval(ms);
}

QLineSeries *DashboardPanel::series(const QString &name) const
{
    return series_.value(name);
}

void DashboardPanel::append(const QString &name, double x, double y)
{
    QLineSeries *s = series_.value(name);
    if (!s || std::isnan(y))
        return;
    s->append(x, y);
    // Keep the window: drop points older than 15 minutes.
    int old = 0;
    while (old < s->count() && s->at(old).x() < x - kWindowSeconds)
        ++old;
    if (old > 0)
        s->removePoints(0, old);
}

void DashboardPanel::sample()
{
    server_->publishMetrics();
    const MetricsSnapshot now = Metrics::instance().snapshot();
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    const double x = double(nowMs - startedMs_) / kMs;
    if (last_) {
        const double seconds = std::max(double(nowMs - lastMs_) / kMs, 1e-3);
        const HistogramCounts latency = now.requestSeconds.since(last_->requestSeconds);
        const HistogramCounts ttft = now.firstTokenSeconds.since(last_->firstTokenSeconds);
        const double rps = double(now.requests - last_->requests) / seconds;
        const double tps = double(now.generatedTokens - last_->generatedTokens) / seconds;
        append(QStringLiteral("requests"), x, rps);
        append(QStringLiteral("latency_p50"), x, latency.quantile(0.5) * kMs);
        append(QStringLiteral("latency_p99"), x, latency.quantile(0.99) * kMs);
        append(QStringLiteral("ttft_p50"), x, ttft.quantile(0.5) * kMs);
        append(QStringLiteral("tokens"), x, tps);
        summary_->setText(tr("Now: %1 requests/s, %2 tokens/s, %3 running, %4 queued, KV cache %5 of %6 MiB")
                              .arg(rps, 0, 'f', 1)
                              .arg(tps, 0, 'f', 1)
                              .arg(now.activeSequences)
                              .arg(now.queueDepth)
                              .arg(double(now.kv.sequenceBytes + now.kv.prefixBytes) / kBytesPerMiB, 0, 'f', 1)
                              .arg(double(now.kv.budgetBytes) / kBytesPerMiB, 0, 'f', 0));
    }
    append(QStringLiteral("streams"), x, now.activeSequences);
    append(QStringLiteral("queue"), x, now.queueDepth);
    append(QStringLiteral("kv"), x, double(now.kv.sequenceBytes + now.kv.prefixBytes) / kBytesPerMiB);
    // The axes follow the window and the highest value shown.
    for (const Chart &c : charts_) {
        double top = 0;
        for (QAbstractSeries *a : c.chart->series())
            for (const QPointF &p : static_cast<QLineSeries *>(a)->points())
                top = std::max(top, p.y());
        if (QValueAxis *ax = axis(c.chart, Qt::Horizontal))
            ax->setRange(x - kWindowSeconds, x);
        if (QValueAxis *ay = axis(c.chart, Qt::Vertical))
            ay->setRange(0, top > 0 ? top * 1.1 : 1);
    }
    last_ = now;
    lastMs_ = nowMs;
}

void DashboardPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslateUi();
    QWidget::changeEvent(event);
}

void DashboardPanel::retranslateUi()
{
    for (const Chart &c : charts_) {
        c.chart->setTitle(tr(c.title));
        if (QValueAxis *ax = axis(c.chart, Qt::Horizontal))
            ax->setTitleText(tr("seconds"));
    }
    for (auto it = series_.cbegin(); it != series_.cend(); ++it)
        it.value()->setName(tr(seriesTitles_.value(it.key())));
    if (!last_)
        summary_->setText(tr("Collecting the first figures…"));
}

} // namespace smartbot::gui
