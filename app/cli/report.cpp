#include "app/cli/report.h"

#include "app/backends/prometheus_client.h"
#include "app/cli/command_store.h"
#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/report/completion_report.h"
#include "app/report/pdf_output.h"
#include "app/report/status_report.h"
#include "app/store/store.h"

#include <QCoreApplication>
#include <QSaveFile>
#include <QTimer>

#include <cmath>
#include <memory>

using namespace Qt::StringLiterals;

namespace cutover::cli {

namespace {

enum ReportExit : int { ReportDone = 0, ReportFailed = 1, ReportUsage = 2 };

class ReportRun : public QObject {
public:
    ReportRun(const config::Plan &plan, const ReportRequest &request, QTextStream &out,
              QTextStream &err)
        : m_plan(plan)
        , m_request(request)
        , m_out(out)
        , m_err(err) {}

    int prepare();
    void begin();

private:
    void monitorDone();
    void queryMetrics();
    void metricAnswered();
    void write();
    void finish(int code);

    const config::Plan &m_plan;
    ReportRequest m_request;
    QTextStream &m_out;
    QTextStream &m_err;
    std::unique_ptr<store::Store> m_store;
    std::unique_ptr<engine::CutoverEngine> m_engine;
    backends::PrometheusClient *m_prometheus = nullptr;
    bool m_monitorDone = false;
    bool m_written = false;
    int m_pendingMetrics = 0;
    QList<report::MetricReading> m_metrics;
    QList<bool> m_answered;
};

int ReportRun::prepare() {
    if (m_request.format == ReportRequest::Format::Pdf && m_request.outFile.isEmpty()) {
        m_err << "PDF output needs --out FILE\n";
        return ReportUsage;
    }
    m_store = openCommandStore(m_plan, m_request.storePath, m_err);
    if (!m_store)
        return ReportFailed;
    engine::CutoverEngine::Options options;
    options.monitor = true;
    m_engine = std::make_unique<engine::CutoverEngine>(m_plan, *m_store, std::nullopt, options);
    return -1;
}

void ReportRun::begin() {
    connect(m_engine.get(), &engine::CutoverEngine::monitorRoundFinished, this,
            [this] { monitorDone(); });
    QTimer::singleShot(m_request.monitorWaitMs, this, [this] { monitorDone(); });
    m_engine->start();
}

void ReportRun::monitorDone() {
    if (m_monitorDone)
        return;
    m_monitorDone = true;
    if (m_request.kind != ReportRequest::Kind::Status) {
        write();
        return;
    }
    queryMetrics();
}

void ReportRun::queryMetrics() {
    m_prometheus = new backends::PrometheusClient(m_plan.prometheus, this);
    net::CallOptions options = m_prometheus->defaultOptions();
    options.deadline = std::chrono::milliseconds(std::min<qint64>(
        m_request.metricsWaitMs, std::max<qint64>(1000, m_plan.prometheus.timeout.ms())));
    m_prometheus->setDefaultOptions(options);
    QList<const config::Panel *> panels;
    for (const report::KeyMetricSpec &spec : report::keyMetricSpecs()) {
        for (const config::PanelGroup &group : m_plan.panelGroups) {
            for (const config::Panel &panel : group.panels) {
                if (panel.id == spec.panelId)
                    panels.append(&panel);
            }
        }
    }
    for (const config::Environment &env : m_plan.environments) {
        for (const config::Panel *panel : panels) {
            const qsizetype index = m_metrics.size();
            m_metrics.append(report::MetricReading{env.name, panel->id, {}, {}});
            m_answered.append(false);
            ++m_pendingMetrics;
            m_prometheus->query(config::expandQuery(panel->query, env))
                ->onFinished(this, [this, index](const net::Result<backends::QueryResult> &r) {
                    report::MetricReading &reading = m_metrics[index];
                    m_answered[index] = true;
                    if (!r.ok()) {
                        reading.error = r.error().toString();
                    } else {
                        for (const backends::PromSample &sample : r.value().vector) {
                            if (std::isfinite(sample.point.value))
                                reading.values.append(
                                    {sample.labels.value(u"system"_s), sample.point.value});
                        }
                        if (r.value().type == backends::QueryResult::Type::Scalar &&
                            std::isfinite(r.value().scalar.value))
                            reading.values.append({QString(), r.value().scalar.value});
                    }
                    metricAnswered();
                });
        }
    }
    if (m_pendingMetrics == 0) {
        write();
        return;
    }
    QTimer::singleShot(m_request.metricsWaitMs, this, [this] { write(); });
}

void ReportRun::metricAnswered() {
    if (--m_pendingMetrics == 0)
        write();
}

void ReportRun::write() {
    if (m_written)
        return;
    m_written = true;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QList<engine::EnvironmentSnapshot> snapshots;
    for (const QString &name : m_engine->environments())
        snapshots.append(m_engine->snapshot(name));

    QString text;
    QString title;
    if (m_request.kind == ReportRequest::Kind::SignOffRecord) {
        auto verified = m_store->verifyAuditChain();
        if (!verified) {
            m_err << "store: " << verified.error().toString() << '\n';
            return finish(ReportFailed);
        }
        report::SignOffRecordInputs in;
        in.plan = &m_plan;
        in.snapshots = snapshots;
        in.audit = verified.value();
        in.now = now;
        text = report::signOffRecordHtml(in);
        title = u"Sign-off record - "_s + m_plan.name;
    } else if (m_request.kind == ReportRequest::Kind::Completion) {
        auto verified = m_store->verifyAuditChain();
        if (!verified) {
            m_err << "store: " << verified.error().toString() << '\n';
            return finish(ReportFailed);
        }
        auto audit = m_store->auditEntries();
        if (!audit) {
            m_err << "store: " << audit.error().toString() << '\n';
            return finish(ReportFailed);
        }
        report::CompletionReportInputs in;
        in.plan = &m_plan;
        in.snapshots = snapshots;
        in.audit = audit.value();
        in.verification = verified.value();
        in.now = now;
        text = report::completionReportHtml(in);
        title = u"Cutover completion report - "_s + m_plan.name;
    } else {
        report::ReportInputs in;
        in.plan = &m_plan;
        in.snapshots = snapshots;
        in.now = now;
        in.shiftRefusals = m_engine->situationShiftRefusals();
        auto audit = m_store->auditEntries();
        if (!audit) {
            m_err << "store: " << audit.error().toString() << '\n';
            return finish(ReportFailed);
        }
        in.audit = audit.value();
        // Unanswered by the deadline: unknown, with why.
        for (qsizetype i = 0; i < m_metrics.size(); ++i) {
            if (!m_answered.at(i))
                m_metrics[i].error = u"no answer from Prometheus in time"_s;
        }
        in.metrics = m_metrics;
        const report::StatusReport built = report::buildStatusReport(in);
        title = built.title;
        text = m_request.format == ReportRequest::Format::Pdf ? report::toHtml(built)
                                                              : report::toMarkdown(built);
    }

    if (m_request.format == ReportRequest::Format::Pdf) {
        QString error;
        if (!report::writePdfFile(text, title, m_request.outFile, &error)) {
            m_err << error << '\n';
            return finish(ReportFailed);
        }
        m_out << m_request.outFile << '\n';
        return finish(ReportDone);
    }
    if (m_request.outFile.isEmpty() || m_request.outFile == u"-"_s) {
        m_out << text;
        return finish(ReportDone);
    }
    QSaveFile file(m_request.outFile);
    if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0 || !file.commit()) {
        m_err << "cannot write " << m_request.outFile << ": " << file.errorString() << '\n';
        return finish(ReportFailed);
    }
    m_out << m_request.outFile << '\n';
    finish(ReportDone);
}

void ReportRun::finish(int code) {
    m_out.flush();
    m_err.flush();
    // Whatever the engine decided meanwhile (a trigger's rollback) notifies: a bounded while.
    if (m_engine && m_engine->pendingNotifications() > 0) {
        connect(m_engine.get(), &engine::CutoverEngine::notificationsIdle, this,
                [code] { QCoreApplication::exit(code); });
        QTimer::singleShot(15'000, this, [code] { QCoreApplication::exit(code); });
        return;
    }
    QCoreApplication::exit(code);
}

} // namespace

bool parseReportFormat(const QString &text, ReportRequest::Format *format) {
    const QString t = text.trimmed().toLower();
    if (t == u"md"_s || t == u"markdown"_s) {
        *format = ReportRequest::Format::Markdown;
        return true;
    }
    if (t == u"pdf"_s) {
        *format = ReportRequest::Format::Pdf;
        return true;
    }
    return false;
}

int reportCommand(const config::Plan &plan, const ReportRequest &request, QTextStream &out,
                  QTextStream &err) {
    ReportRequest effective = request;
    if (effective.kind != ReportRequest::Kind::Status)
        effective.format = ReportRequest::Format::Pdf;
    ReportRun run(plan, effective, out, err);
    if (const int code = run.prepare(); code >= 0)
        return code;
    QTimer::singleShot(0, &run, [&run] { run.begin(); });
    return QCoreApplication::exec();
}

} // namespace cutover::cli
