#include "models/decommission_steps_model.h"

#include <QBrush>
#include <QColor>
#include <QFileInfo>
#include <QFont>
#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace cutover::models {

using decommission::StepState;

namespace {

QString stateTitle(StepState state) {
    switch (state) {
    case StepState::Blocked:
        return DecommissionStepsModel::tr("Blocked");
    case StepState::AwaitingApproval:
        return DecommissionStepsModel::tr("Awaiting approval");
    case StepState::Ready:
        return DecommissionStepsModel::tr("Ready");
    case StepState::Running:
        return DecommissionStepsModel::tr("Running");
    case StepState::Waiting:
        return DecommissionStepsModel::tr("Waiting");
    case StepState::Done:
        return DecommissionStepsModel::tr("Done");
    case StepState::Failed:
        break;
    }
    return DecommissionStepsModel::tr("Failed");
}

QString timeLeft(qint64 ms) {
    const qint64 minutes = (ms + 59'999) / 60'000;
    if (minutes < 60)
        return DecommissionStepsModel::tr("%1 min").arg(minutes);
    return DecommissionStepsModel::tr("%1 h %2 min").arg(minutes / 60).arg(minutes % 60);
}

QString utc(const QDateTime &at) {
    return at.toUTC().toString(u"yyyy-MM-dd HH:mm 'UTC'"_s);
}

} // namespace

DecommissionStepsModel::DecommissionStepsModel(QObject *parent)
    : QAbstractTableModel(parent) {}

QString DecommissionStepsModel::detailText(const decommission::StepProgress &step,
                                           const QDateTime &now) {
    switch (step.state) {
    case StepState::Waiting:
        return step.waitUntil > now
                   ? tr("validated; %1 left (until %2)")
                         .arg(timeLeft(now.msecsTo(step.waitUntil)), utc(step.waitUntil))
                   : tr("wait over: validating again");
    case StepState::Done:
        return tr("done %1").arg(utc(step.doneAt));
    case StepState::Failed:
        return step.error;
    case StepState::Running:
        return tr("started %1 by %2").arg(utc(step.startedAt), step.startedBy);
    case StepState::AwaitingApproval:
        return step.missingRoles().isEmpty()
                   ? tr("needs a second person's approval")
                   : tr("needs: %1").arg(step.missingRoles().join(u", "_s));
    default:
        break;
    }
    return step.step->wait.isZero() ? QString()
                                    : tr("then waits %1").arg(step.step->wait.toString());
}

QString DecommissionStepsModel::evidenceText(const decommission::StepProgress &step) {
    auto shortHash = [](const QString &hash) {
        return hash.left(12) + u'…';
    };
    QStringList parts;
    const QJsonObject &e = step.evidence;
    if (e.contains(u"file"_s))
        parts.append(tr("file %1 · sha256 %2")
                         .arg(QFileInfo(e.value(u"file"_s).toString()).fileName(),
                              shortHash(e.value(u"sha256"_s).toString())));
    else if (e.contains(u"url"_s))
        parts.append(e.value(u"url"_s).toString());
    else if (e.contains(u"note"_s))
        parts.append(tr("note: %1").arg(e.value(u"note"_s).toString().left(60)));
    const QJsonObject &o = step.output;
    if (o.contains(u"archive"_s))
        parts.append(tr("archive %1 · sha256 %2")
                         .arg(QFileInfo(o.value(u"archive"_s).toString()).fileName(),
                              shortHash(o.value(u"sha256"_s).toString())));
    else if (o.contains(u"snapshot"_s))
        parts.append(tr("snapshot %1").arg(o.value(u"snapshot"_s).toString()));
    else if (o.contains(u"folder"_s))
        parts.append(tr("%n file(s) in %1", nullptr, int(o.value(u"sha256"_s).toObject().size()))
                         .arg(o.value(u"folder"_s).toString()));
    else if (o.contains(u"exit_code"_s))
        parts.append(tr("exit %1 · stdout sha256 %2")
                         .arg(o.value(u"exit_code"_s).toInt())
                         .arg(shortHash(o.value(u"stdout_sha256"_s).toString())));
    return parts.join(u"; "_s);
}

void DecommissionStepsModel::setProgress(const decommission::EnvironmentProgress &progress,
                                         const QDateTime &now) {
    m_progress = progress;
    m_now = now;
    QList<Row> rows;
    int lastPhase = -1;
    for (const decommission::StepProgress &p : progress.steps) {
        Row row;
        row.id = p.step->id;
        if (int(p.step->phase) != lastPhase)
            row.week = config::phaseTitle(p.step->phase);
        lastPhase = int(p.step->phase);
        row.title = p.step->title;
        row.action = config::actionName(p.step->action);
        row.irreversible = p.step->isIrreversible();
        row.state = p.state;
        QStringList approvals;
        for (const decommission::Approval &a : p.approvals)
            approvals.append(u"%1 (%2)"_s.arg(a.operatorName, a.role));
        row.approvals = approvals.isEmpty() && !p.step->approvals.isEmpty()
                            ? tr("needs %1").arg(p.step->approvals.join(u", "_s))
                            : approvals.join(u", "_s);
        row.detail = detailText(p, now);
        if (p.state == StepState::Running && m_stepProgress.contains(row.id))
            row.detail += u" · "_s + m_stepProgress.value(row.id);
        else if (p.state == StepState::Done || p.state == StepState::Failed ||
                 p.state == StepState::Waiting)
            m_stepProgress.remove(row.id); // that run is over (a progress may come before the
                                           // progress model knows the step started)
        row.evidence = evidenceText(p);
        QJsonObject whole;
        if (!p.evidence.isEmpty())
            whole.insert(u"evidence"_s, p.evidence);
        if (!p.output.isEmpty())
            whole.insert(u"output"_s, p.output);
        if (!whole.isEmpty())
            row.evidenceDetails =
                QString::fromUtf8(QJsonDocument(whole).toJson(QJsonDocument::Indented));
        rows.append(row);
    }
    setRows(rows);
}

void DecommissionStepsModel::setStepProgress(const QString &stepId, const QString &text) {
    m_stepProgress.insert(stepId, text);
    setProgress(m_progress, m_now);
}

void DecommissionStepsModel::setRows(const QList<Row> &rows) {
    if (rows.size() != m_rows.size()) {
        beginResetModel();
        m_rows = rows;
        endResetModel();
        return;
    }
    for (int i = 0; i < rows.size(); ++i) {
        if (rows.at(i) == m_rows.at(i))
            continue;
        m_rows[i] = rows.at(i);
        Q_EMIT dataChanged(index(i, 0), index(i, ColumnCount - 1));
    }
}

int DecommissionStepsModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int DecommissionStepsModel::columnCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DecommissionStepsModel::data(const QModelIndex &index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case WeekColumn:
            return row.week;
        case StepColumn:
            return row.irreversible ? row.title + tr("  ⚠ cannot be undone") : row.title;
        case StateColumn:
            return stateTitle(row.state);
        case ApprovalsColumn:
            return row.approvals;
        case DetailColumn:
            return row.detail;
        case EvidenceColumn:
            return row.evidence;
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == StepColumn)
            return tr("%1 (%2)").arg(row.id, row.action);
        if (index.column() == EvidenceColumn && !row.evidenceDetails.isEmpty())
            return row.evidenceDetails;
        return row.detail.isEmpty() ? QVariant() : QVariant(row.detail);
    case Qt::ForegroundRole:
        if (index.column() != StateColumn)
            break;
        switch (row.state) {
        case StepState::Done:
            return QBrush(QColor(0x2e, 0x7d, 0x32));
        case StepState::Failed:
            return QBrush(QColor(0xc6, 0x28, 0x28));
        case StepState::Waiting:
        case StepState::Running:
            return QBrush(QColor(0x15, 0x65, 0xc0));
        case StepState::Blocked:
            return QBrush(QColor(0x75, 0x75, 0x75));
        default:
            break;
        }
        break;
    case Qt::FontRole:
        if (index.column() == WeekColumn) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        break;
    case StateRole:
        return int(row.state);
    case StepIdRole:
        return row.id;
    case IrreversibleRole:
        return row.irreversible;
    default:
        break;
    }
    return {};
}

QVariant DecommissionStepsModel::headerData(int section, Qt::Orientation orientation,
                                            int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case WeekColumn:
        return tr("Week");
    case StepColumn:
        return tr("Step");
    case StateColumn:
        return tr("State");
    case ApprovalsColumn:
        return tr("Approvals");
    case DetailColumn:
        return tr("Detail");
    case EvidenceColumn:
        return tr("Evidence");
    }
    return {};
}

} // namespace cutover::models
