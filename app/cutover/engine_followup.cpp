// The seed's emergency rollback after the weights: (2) verify legacy collection, else page at
// L4; (4) preserve evidence (a .tar.gz with the incident's audit slice, the load balancers'
// read-backs, the last minutes of every trigger's and the split's series, the plan's hash) and
// ship it with the plan's upload command. Step (3), the incident ticket, is the rollback's own
// notification (finishRollback). Every step's outcome is audited.

#include "app/backends/prometheus_client.h"
#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/cutover/engine_internal.h"
#include "app/store/evidence_archive.h"
#include "app/store/store.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QPointer>
#include <QProcess>
#include <QThreadPool>
#include <QTimer>

#include <cmath>

using namespace Qt::StringLiterals;

namespace cutover::engine {

namespace {

QByteArray json(const QJsonValue &value) {
    if (value.isArray())
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented);
    return QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented);
}

QJsonArray seriesJson(const QList<backends::PromSeries> &matrix) {
    QJsonArray series;
    for (const backends::PromSeries &s : matrix) {
        QJsonObject labels;
        for (auto it = s.labels.cbegin(); it != s.labels.cend(); ++it)
            labels.insert(it.key(), it.value());
        QJsonArray points;
        for (const backends::PromPoint &p : s.points)
            points.append(QJsonArray{p.time, std::isfinite(p.value)
                                                 ? QJsonValue(p.value)
                                                 : QJsonValue(QString::number(p.value))});
        series.append(QJsonObject{{u"labels"_s, labels}, {u"points"_s, points}});
    }
    return series;
}

// Evidence gathered on the engine's thread before the archive is written on a worker thread.
struct EvidenceCollection {
    QString environment;
    QString reason;
    QDateTime incidentStart;
    QList<store::EvidenceFile> files;
    int pending = 0;
    QStringList problems; // what could not be collected (still written, and said so)
};

} // namespace

void CutoverEngine::startRollbackFollowUp(EnvironmentRuntime &rt, const QString &reason,
                                          const backends::FleetApplyResult &result,
                                          const QDateTime &incidentStart) {
    const QString environment = rt.env->name;
    if (m_plan.rollback.verifyLegacy) {
        ++m_pendingFollowUps;
        verifyLegacy(environment, now().addMSecs(m_plan.rollback.verifyLegacy->deadline.ms()));
    }
    ++m_pendingFollowUps;
    preserveEvidence(environment, reason, result, incidentStart);
}

void CutoverEngine::followUpDone() {
    if (--m_pendingFollowUps == 0)
        Q_EMIT followUpsIdle();
}

// --- step 2: legacy collection -----------------------------------------------------------------

void CutoverEngine::verifyLegacy(const QString &environment, const QDateTime &deadline) {
    const config::LegacyVerification &check = *m_plan.rollback.verifyLegacy;
    const config::Environment *env = m_plan.environment(environment);
    m_prometheus->query(config::expandQuery(check.query, *env))
        ->onFinished(this, [this, environment,
                            deadline](const net::Result<backends::QueryResult> &result) {
            const config::LegacyVerification &c = *m_plan.rollback.verifyLegacy;
            const double value = result.ok() ? result.value().singleValue() : std::nan("");
            if (c.condition.holds(value)) {
                audit(m_options.actorForAutomatic, u"automatic"_s, u"legacy_verified"_s,
                      environment, {},
                      {{u"value"_s, value}, {u"condition"_s, c.condition.toString()}});
                Q_EMIT rollbackFollowUp(environment, u"legacy_verified"_s,
                                        tr("legacy collection verified: %1 (%2)")
                                            .arg(value)
                                            .arg(c.condition.toString()));
                followUpDone();
                return;
            }
            if (now() < deadline) {
                QTimer::singleShot(
                    int(std::clamp<qint64>(m_plan.validation.evaluationInterval.ms(), 250, 15'000)),
                    this, [this, environment, deadline] { verifyLegacy(environment, deadline); });
                return;
            }
            const QString problem =
                result.ok() ? tr("%1, needs %2")
                                  .arg(std::isnan(value) ? tr("no data") : QString::number(value),
                                       c.condition.toString())
                            : result.error().toString();
            audit(m_options.actorForAutomatic, u"automatic"_s, u"legacy_unverified"_s, environment,
                  {}, {{u"problem"_s, problem}, {u"deadline"_s, c.deadline.toString()}});
            // The seed: check_legacy_health || page_oncall_team.
            notify(u"legacy_unverified"_s, environment,
                   {{u"title"_s, tr("Legacy collection not verified after rollback")},
                    {u"problem"_s, problem},
                    {u"reason"_s, tr("legacy collection not verified within %1 after the "
                                     "rollback: %2")
                                      .arg(c.deadline.toString(), problem)}});
            Q_EMIT alarm(environment, u"rollback"_s,
                         tr("legacy collection NOT verified after the rollback: %1").arg(problem));
            Q_EMIT rollbackFollowUp(environment, u"legacy_unverified"_s, problem);
            followUpDone();
        });
}

// --- step 4: evidence --------------------------------------------------------------------------

void CutoverEngine::preserveEvidence(const QString &environment, const QString &reason,
                                     const backends::FleetApplyResult &result,
                                     const QDateTime &incidentStart) {
    EnvironmentRuntime &rt = runtime(environment);
    const QDateTime end = now();
    const QDateTime start = end.addMSecs(-m_plan.rollback.evidenceSpan.ms());
    auto collection = std::make_shared<EvidenceCollection>();
    collection->environment = environment;
    collection->reason = reason;
    collection->incidentStart = incidentStart;

    collection->files.append({u"rollback.json"_s, json(lbResultsJson(result.lbs))});

    auto finishOne = [this, collection] {
        if (--collection->pending > 0)
            return;
        QJsonObject manifest{
            {u"environment"_s, collection->environment},
            {u"reason"_s, collection->reason},
            {u"incident_start"_s, collection->incidentStart.toString(Qt::ISODateWithMs)},
            {u"written_at"_s, now().toString(Qt::ISODateWithMs)},
            {u"plan"_s, m_plan.name},
            {u"plan_file"_s, m_plan.sourceFile},
            {u"plan_sha256"_s, QString::fromLatin1(m_plan.sha256Hex)},
            {u"problems"_s, QJsonArray::fromStringList(collection->problems)}};
        QJsonArray names;
        for (const store::EvidenceFile &f : std::as_const(collection->files))
            names.append(f.name);
        manifest.insert(u"files"_s, names);
        collection->files.prepend({u"manifest.json"_s, json(manifest)});
        collection->files.append(
            {u"plan.sha256"_s,
             m_plan.sha256Hex + "  " + QFileInfo(m_plan.sourceFile).fileName().toUtf8() + '\n'});
        QString dir = m_plan.rollback.evidenceDirectory;
        if (dir.isEmpty())
            dir =
                QFileInfo(store::sqlitePathFor(m_plan.store)).absoluteDir().filePath(u"evidence"_s);
        const QString path = QDir(dir).filePath(u"rollback-%1-%2.tar.gz"_s.arg(
            collection->environment, now().toString(u"yyyyMMdd'T'HHmmsszzz'Z'"_s)));
        // The archive is written off the engine's thread: compression and fsync are disk work.
        QPointer<CutoverEngine> self(this);
        const QList<store::EvidenceFile> files = collection->files;
        const QDateTime modified = now();
        QThreadPool::globalInstance()->start([self, path, files, modified,
                                              environment = collection->environment] {
            auto written = store::writeEvidenceArchive(path, files, modified);
            QMetaObject::invokeMethod(
                self.data(),
                [self, written, environment] {
                    if (!self)
                        return;
                    if (!written) {
                        const QString problem = written.error().toString();
                        self->audit(self->m_options.actorForAutomatic, u"automatic"_s,
                                    u"evidence_failed"_s, environment, {},
                                    {{u"problem"_s, problem}});
                        self->notify(u"evidence_failed"_s, environment, {{u"problem"_s, problem}});
                        Q_EMIT self->rollbackFollowUp(environment, u"evidence_failed"_s, problem);
                        self->followUpDone();
                        return;
                    }
                    const store::EvidenceArchive &archive = written.value();
                    self->audit(self->m_options.actorForAutomatic, u"automatic"_s,
                                u"evidence_preserved"_s, environment, archive.path,
                                {{u"file"_s, archive.path},
                                 {u"sha256"_s, QString::fromLatin1(archive.sha256Hex)},
                                 {u"bytes"_s, double(archive.bytes)}});
                    Q_EMIT self->rollbackFollowUp(
                        environment, u"evidence_preserved"_s,
                        tr("evidence preserved: %1 (sha256 %2)")
                            .arg(archive.path, QString::fromLatin1(archive.sha256Hex)));
                    if (self->m_plan.rollback.upload) {
                        self->uploadEvidence(environment, archive.path);
                        return;
                    }
                    self->followUpDone();
                },
                Qt::QueuedConnection);
        });
    };

    // The load balancers as they are now, read back.
    ++collection->pending;
    rt.fleet->readWeights(m_plan.pools.legacy + m_plan.pools.otel)
        ->onFinished(this, [collection,
                            finishOne](const net::Result<QList<backends::LbWeightsRead>> &reads) {
            QJsonArray lbs;
            if (reads.ok()) {
                for (const backends::LbWeightsRead &read : reads.value()) {
                    QJsonObject weights;
                    for (auto it = read.weights.cbegin(); it != read.weights.cend(); ++it)
                        weights.insert(it.key(), it.value());
                    QJsonObject lb{{u"lb"_s, read.lb}, {u"weights"_s, weights}};
                    if (read.error)
                        lb.insert(u"error"_s, read.error->toString());
                    lbs.append(lb);
                }
            } else {
                collection->problems.append(u"read-back: "_s + reads.error().toString());
            }
            collection->files.append({u"load_balancers.json"_s, json(lbs)});
            finishOne();
        });

    // The last span of the split and of every trigger's query.
    const qint64 stepMs = std::max<qint64>(m_plan.validation.scrapeInterval.ms(),
                                           m_plan.rollback.evidenceSpan.ms() / 4000 + 1);
    QList<std::pair<QString, QString>> queries{{u"split"_s, m_plan.validation.splitQuery}};
    for (const config::Trigger &trigger : m_plan.rollback.triggers) {
        if (trigger.compare) {
            queries.append({u"trigger-%1-legacy"_s.arg(trigger.id), trigger.compare->legacy});
            queries.append({u"trigger-%1-otel"_s.arg(trigger.id), trigger.compare->otel});
        } else {
            queries.append({u"trigger-"_s + trigger.id, trigger.query});
        }
    }
    for (const auto &[name, query] : queries) {
        ++collection->pending;
        m_prometheus
            ->queryRange(config::expandQuery(query, *rt.env), start, end,
                         std::chrono::milliseconds(stepMs))
            ->onFinished(this, [collection, finishOne, name = name,
                                query = query](const net::Result<backends::QueryResult> &series) {
                QJsonObject body{{u"query"_s, query}};
                if (series.ok())
                    body.insert(u"series"_s, seriesJson(series.value().matrix));
                else {
                    body.insert(u"error"_s, series.error().toString());
                    collection->problems.append(name + u": "_s + series.error().toString());
                }
                collection->files.append({u"series/%1.json"_s.arg(name), json(body)});
                finishOne();
            });
    }

    // The audit slice: this environment's entries (and the store's own) since the span began.
    // Last: an inline store answers at once, and the count must not reach 0 before the others.
    ++collection->pending;
    const qint64 after = std::max<qint64>(0, m_lastAuditSeq - 5000);
    m_runner.run<QList<store::AuditEntry>>(
        this, [after](store::Store &store) { return store.auditEntries(after); },
        [collection, finishOne, start,
         environment](const store::StoreResult<QList<store::AuditEntry>> &entries) {
            QJsonArray audit;
            if (entries) {
                for (const store::AuditEntry &e : entries.value()) {
                    if (e.at < start || (!e.environment.isEmpty() && e.environment != environment))
                        continue;
                    audit.append(QJsonObject{{u"seq"_s, double(e.seq)},
                                             {u"at"_s, e.at.toString(Qt::ISODateWithMs)},
                                             {u"actor"_s, e.actor},
                                             {u"role"_s, e.role},
                                             {u"action"_s, e.action},
                                             {u"environment"_s, e.environment},
                                             {u"subject"_s, e.subject},
                                             {u"details"_s, e.detailsObject()},
                                             {u"prev_hash"_s, e.prevHash},
                                             {u"hash"_s, e.hash}});
                }
            } else {
                collection->problems.append(tr("audit log: %1").arg(entries.error().toString()));
            }
            collection->files.append({u"audit.json"_s, json(audit)});
            finishOne();
        });
}

void CutoverEngine::uploadEvidence(const QString &environment, const QString &archive) {
    const config::UploadCommand &upload = *m_plan.rollback.upload;
    QStringList argv;
    for (const QString &arg : upload.argv)
        argv.append(QString(arg).replace(u"{archive}"_s, archive));
    // An argv list, never a shell: nothing in the archive's name is interpreted.
    auto *process = new QProcess(this);
    process->setProgram(argv.takeFirst());
    process->setArguments(argv);
    process->setProcessChannelMode(QProcess::MergedChannels);
    auto *timeout = new QTimer(process);
    timeout->setSingleShot(true);
    auto finished = std::make_shared<bool>(false);
    auto done = [this, process, environment, archive, finished](int exitCode,
                                                                const QString &problem) {
        if (*finished)
            return;
        *finished = true;
        const QString program = process->program();
        if (problem.isEmpty() && exitCode == 0) {
            audit(m_options.actorForAutomatic, u"automatic"_s, u"evidence_uploaded"_s, environment,
                  archive, {{u"program"_s, program}, {u"exit_code"_s, exitCode}});
            Q_EMIT rollbackFollowUp(environment, u"evidence_uploaded"_s,
                                    tr("evidence uploaded with %1").arg(program));
        } else {
            const QString why =
                problem.isEmpty() ? tr("%1 exited with %2").arg(program).arg(exitCode) : problem;
            // The command's output is not recorded: it may echo credentials.
            audit(m_options.actorForAutomatic, u"automatic"_s, u"upload_failed"_s, environment,
                  archive,
                  {{u"program"_s, program}, {u"exit_code"_s, exitCode}, {u"problem"_s, why}});
            notify(u"evidence_failed"_s, environment, {{u"problem"_s, why}, {u"file"_s, archive}});
            Q_EMIT rollbackFollowUp(environment, u"upload_failed"_s, why);
        }
        followUpDone();
    };
    // Deleted once it has ended (never while running: QProcess's destructor would wait on it).
    connect(process, &QProcess::finished, this,
            [done, process](int exitCode, QProcess::ExitStatus status) {
                done(exitCode, status == QProcess::CrashExit
                                   ? tr("%1 crashed").arg(process->program())
                                   : QString());
                process->deleteLater();
            });
    connect(process, &QProcess::errorOccurred, this, [done, process](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart) {
            done(-1,
                 tr("%1 could not be started: %2").arg(process->program(), process->errorString()));
            process->deleteLater();
        }
    });
    connect(timeout, &QTimer::timeout, this, [done, process, upload] {
        process->kill();
        done(-1,
             tr("%1 did not finish within %2").arg(process->program(), upload.timeout.toString()));
    });
    timeout->start(int(std::clamp<qint64>(upload.timeout.ms(), 1000, 24LL * 3600 * 1000)));
    process->start();
}

} // namespace cutover::engine
