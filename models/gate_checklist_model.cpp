#include "models/gate_checklist_model.h"

#include <QGuiApplication>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

#include <functional>

using namespace Qt::StringLiterals;

namespace cutover::models {

namespace {

using State = engine::CheckStatus::State;
using Kind = config::Check::Kind;

QString utcText(const QDateTime &at) {
    return at.isValid() ? at.toUTC().toString(u"yyyy-MM-dd HH:mm:ss 'UTC'"_s) : QString();
}

bool sameCheck(const engine::CheckStatus &a, const engine::CheckStatus &b) {
    return a.gate == b.gate && a.id == b.id && a.title == b.title && a.kind == b.kind &&
           a.state == b.state && a.value == b.value && a.detail == b.detail &&
           a.tickedBy == b.tickedBy && a.tickedRole == b.tickedRole && a.tickedAt == b.tickedAt;
}

bool sameSignature(const engine::SignatureStatus &a, const engine::SignatureStatus &b) {
    return a.role == b.role && a.signOff == b.signOff;
}

// A child row's identity inside its gate: checks and signatures never share a key.
QStringList childKeys(const engine::GateStatus &gate) {
    QStringList keys;
    for (const auto &check : gate.checks)
        keys.append(u"check:"_s + check.id);
    for (const auto &signature : gate.signatures)
        keys.append(u"signature:"_s + signature.role);
    return keys;
}

// Walks `current` towards `next` (lists of unique keys) in one pass: a row whose key matches is
// updated; a row whose key no longer appears later is removed; otherwise the next key is inserted.
// Reordered keys therefore cost an insert and a remove, which is rare (a different plan).
void reconcile(QStringList current, const QStringList &next,
               const std::function<void(int row, int nextIndex)> &insert,
               const std::function<void(int row)> &remove,
               const std::function<void(int row, int nextIndex)> &update) {
    int i = 0;
    while (i < next.size()) {
        if (i < current.size() && current.at(i) == next.at(i)) {
            update(i, i);
            ++i;
        } else if (i < current.size() && next.indexOf(current.at(i), i) < 0) {
            remove(i);
            current.removeAt(i);
        } else {
            insert(i, i);
            current.insert(i, next.at(i));
            ++i;
        }
    }
    while (current.size() > next.size()) {
        remove(int(current.size()) - 1);
        current.removeLast();
    }
}

QPixmap drawStateIcon(State state, int size) {
    QPixmap pixmap(size, size);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    const QColor color = GateChecklistModel::stateColor(state);
    const QRectF box(1.5, 1.5, size - 3.0, size - 3.0);
    QPen mark(Qt::white, size / 8.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    switch (state) {
    case State::Pass: {
        p.setPen(Qt::NoPen);
        p.setBrush(color);
        p.drawEllipse(box);
        p.setPen(mark);
        QPainterPath tickPath;
        tickPath.moveTo(size * 0.28, size * 0.52);
        tickPath.lineTo(size * 0.44, size * 0.68);
        tickPath.lineTo(size * 0.72, size * 0.34);
        p.drawPath(tickPath);
        break;
    }
    case State::Fail:
        p.setPen(Qt::NoPen);
        p.setBrush(color);
        p.drawEllipse(box);
        p.setPen(mark);
        p.drawLine(QPointF(size * 0.33, size * 0.33), QPointF(size * 0.67, size * 0.67));
        p.drawLine(QPointF(size * 0.67, size * 0.33), QPointF(size * 0.33, size * 0.67));
        break;
    case State::Pending:
        // Half filled: under way.
        p.setPen(QPen(color, size / 10.0));
        p.setBrush(Qt::NoBrush);
        p.drawEllipse(box);
        p.setPen(Qt::NoPen);
        p.setBrush(color);
        p.drawPie(box, 90 * 16, 180 * 16);
        break;
    case State::Unknown:
        p.setPen(QPen(color, size / 10.0, Qt::DotLine));
        p.setBrush(Qt::NoBrush);
        p.drawEllipse(box);
        p.setPen(QPen(color));
        {
            QFont font = p.font();
            font.setPixelSize(int(size * 0.7));
            font.setBold(true);
            p.setFont(font);
        }
        p.drawText(QRectF(0, 0, size, size), Qt::AlignCenter, u"?"_s);
        break;
    case State::Open:
        p.setPen(QPen(color, size / 8.0));
        p.setBrush(Qt::NoBrush);
        p.drawEllipse(box);
        break;
    }
    return pixmap;
}

} // namespace

GateChecklistModel::GateChecklistModel(QObject *parent)
    : QAbstractItemModel(parent) {}

GateChecklistModel::~GateChecklistModel() = default;

QColor GateChecklistModel::stateColor(State state) {
    // Mid-tone colours: they read against both the dark and the light palette.
    switch (state) {
    case State::Pass:
        return QColor(0x2e, 0xa0, 0x43);
    case State::Fail:
        return QColor(0xe0, 0x3c, 0x31);
    case State::Pending:
        return QColor(0xe0, 0x9b, 0x1a);
    case State::Unknown:
    case State::Open:
        break;
    }
    return QColor(0x8a, 0x8f, 0x98);
}

QIcon GateChecklistModel::stateIcon(State state) {
    QIcon icon;
    for (int size : {16, 24, 32})
        icon.addPixmap(drawStateIcon(state, size));
    return icon;
}

QString GateChecklistModel::stateText(State state, Kind kind) {
    if (kind == Kind::Manual)
        return state == State::Pass ? tr("ticked") : tr("to tick");
    switch (state) {
    case State::Pass:
        return tr("pass");
    case State::Fail:
        return tr("fail");
    case State::Pending:
        return tr("pending");
    case State::Unknown:
        return tr("unknown");
    case State::Open:
        return tr("open");
    }
    return QString();
}

State GateChecklistModel::gateState(const engine::GateStatus &gate) {
    if (gate.ready())
        return State::Pass;
    bool unknown = false;
    bool pending = false;
    if (gate.score && gate.score->classification == analysis::GateClass::Fail)
        return State::Fail;
    for (const auto &check : gate.checks) {
        // With a score, compare checks count through it (above).
        if (gate.score && check.kind == config::Check::Kind::Compare)
            continue;
        if (check.state == State::Fail)
            return State::Fail;
        unknown = unknown || check.state == State::Unknown;
        pending = pending || check.state == State::Pending;
    }
    if (unknown)
        return State::Unknown;
    if (pending)
        return State::Pending;
    return State::Open; // only ticks and signatures left: people's work
}

QString GateChecklistModel::gateSummary(const engine::GateStatus &gate) {
    int passing = 0;
    for (const auto &check : gate.checks)
        passing += check.state == State::Pass ? 1 : 0;
    QString text = u"%1/%2"_s.arg(passing).arg(gate.checks.size());
    if (gate.score)
        text += u" · "_s + scoreText(*gate.score);
    QStringList signedBy;
    QStringList awaiting;
    for (const auto &signature : gate.signatures) {
        if (signature.signOff)
            signedBy.append(signature.signOff->printedName.isEmpty()
                                ? signature.signOff->operatorName
                                : signature.signOff->printedName);
        else
            awaiting.append(signature.role);
    }
    if (!signedBy.isEmpty())
        text += tr(" · signed by %1").arg(signedBy.join(u", "_s));
    if (!awaiting.isEmpty())
        text += tr(" · awaiting %1").arg(awaiting.join(u", "_s));
    return text;
}

State GateChecklistModel::scoreState(const analysis::GateScore &score) {
    switch (score.classification) {
    case analysis::GateClass::Pass:
        return State::Pass;
    case analysis::GateClass::Marginal:
        return State::Pending;
    case analysis::GateClass::Fail:
        break;
    }
    return State::Fail;
}

QString GateChecklistModel::scoreText(const analysis::GateScore &score) {
    switch (score.classification) {
    case analysis::GateClass::Pass:
        return tr("score %1 (pass)").arg(analysis::formatScore(score.score));
    case analysis::GateClass::Marginal:
        return tr("score %1 (marginal: signers acknowledge it)")
            .arg(analysis::formatScore(score.score));
    case analysis::GateClass::Fail:
        break;
    }
    return tr("score %1 (fail: pass needs %2)")
        .arg(analysis::formatScore(score.score), analysis::formatScore(score.thresholds.pass));
}

QString GateChecklistModel::signatureDetail(const engine::SignatureStatus &signature) {
    if (!signature.signOff)
        return tr("awaiting %1").arg(signature.role);
    const store::SignOff &s = *signature.signOff;
    QString text = tr("%1, %2, meaning “%3”")
                       .arg(s.printedName.isEmpty() ? s.operatorName : s.printedName, utcText(s.at),
                            s.meaning);
    if (!s.comment.isEmpty())
        text += tr(": “%1”").arg(s.comment);
    return text;
}

QString GateChecklistModel::checkDetail(const engine::CheckStatus &check) {
    if (check.kind == Kind::Manual && check.state == State::Pass && !check.tickedBy.isEmpty())
        return tr("ticked by %1 (%2) at %3")
            .arg(check.tickedBy, check.tickedRole, utcText(check.tickedAt));
    return check.detail;
}

const engine::GateStatus *GateChecklistModel::gateFor(const QModelIndex &index) const {
    if (!index.isValid() || index.model() != this)
        return nullptr;
    if (auto *owner = static_cast<const engine::GateStatus *>(index.internalPointer()))
        return owner;
    return index.row() < int(m_gates.size()) ? m_gates[size_t(index.row())].get() : nullptr;
}

GateChecklistModel::RowKind GateChecklistModel::kindOf(const QModelIndex &index) const {
    if (!index.internalPointer())
        return RowKind::Gate;
    const auto *gate = static_cast<const engine::GateStatus *>(index.internalPointer());
    return index.row() < int(gate->checks.size()) ? RowKind::Check : RowKind::Signature;
}

const engine::CheckStatus *GateChecklistModel::checkFor(const QModelIndex &index) const {
    if (!index.isValid() || index.model() != this || kindOf(index) != RowKind::Check)
        return nullptr;
    return &gateFor(index)->checks.at(index.row());
}

QModelIndex GateChecklistModel::indexOfGate(const QString &gateId, int column) const {
    for (int row = 0; row < int(m_gates.size()); ++row) {
        if (m_gates[size_t(row)]->id == gateId)
            return index(row, column);
    }
    return {};
}

QModelIndex GateChecklistModel::indexOfCheck(const QString &gateId, const QString &checkId,
                                             int column) const {
    const QModelIndex gate = indexOfGate(gateId);
    if (!gate.isValid())
        return {};
    const auto &checks = m_gates[size_t(gate.row())]->checks;
    for (int row = 0; row < int(checks.size()); ++row) {
        if (checks.at(row).id == checkId)
            return index(row, column, gate);
    }
    return {};
}

// Child rows carry their gate's GateStatus (heap-allocated, so its address survives inserts and
// removes of other gates) as the internal pointer; gate rows carry nullptr.
QModelIndex GateChecklistModel::index(int row, int column, const QModelIndex &parent) const {
    if (!hasIndex(row, column, parent))
        return {};
    if (!parent.isValid())
        return createIndex(row, column, nullptr);
    return createIndex(row, column, const_cast<engine::GateStatus *>(gateFor(parent)));
}

QModelIndex GateChecklistModel::parent(const QModelIndex &child) const {
    if (!child.isValid() || !child.internalPointer())
        return {};
    const int row = rowOf(static_cast<const engine::GateStatus *>(child.internalPointer()));
    return row < 0 ? QModelIndex() : createIndex(row, 0, nullptr);
}

int GateChecklistModel::rowCount(const QModelIndex &parent) const {
    if (!parent.isValid())
        return int(m_gates.size());
    if (parent.column() != 0 || parent.internalPointer())
        return 0;
    const auto &gate = *m_gates[size_t(parent.row())];
    return int(gate.checks.size() + gate.signatures.size());
}

int GateChecklistModel::columnCount(const QModelIndex &) const {
    return ColumnCount;
}

QVariant GateChecklistModel::data(const QModelIndex &index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const engine::GateStatus &gate = *gateFor(index);
    switch (role) {
    case GateIdRole:
        return gate.id;
    case KindRole:
        return int(kindOf(index));
    case SignableRole:
        return !gate.isSigned();
    default:
        break;
    }
    switch (kindOf(index)) {
    case RowKind::Gate:
        return gateData(gate, index.column(), role);
    case RowKind::Check:
        return checkData(gate.checks.at(index.row()), gate, index.column(), role);
    case RowKind::Signature:
        return signatureData(gate.signatures.at(index.row() - gate.checks.size()), gate,
                             index.column(), role);
    }
    return {};
}

QVariant GateChecklistModel::gateData(const engine::GateStatus &gate, int column, int role) const {
    const State state = gateState(gate);
    switch (role) {
    case Qt::DisplayRole:
        if (column == ItemColumn)
            return gate.title;
        if (column == StateColumn)
            return gateSummary(gate);
        {
            const QStringList blockers = gate.blockers();
            return blockers.isEmpty() ? tr("ready")
                                      : tr("%n item(s) to clear", nullptr, int(blockers.size()));
        }
    case Qt::ToolTipRole: {
        const QStringList blockers = gate.blockers();
        return blockers.isEmpty() ? tr("%1: ready").arg(gate.title) : blockers.join(u'\n');
    }
    case Qt::DecorationRole:
        if (column != ItemColumn)
            return {};
        return qGuiApp ? QVariant(stateIcon(state)) : QVariant(stateColor(state));
    case Qt::FontRole:
        if (column == ItemColumn) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    case StateRole:
        return int(state);
    case TickableRole:
    case UntickableRole:
        return false;
    default:
        return {};
    }
}

QVariant GateChecklistModel::checkData(const engine::CheckStatus &check, const engine::GateStatus &,
                                       int column, int role) const {
    const bool manual = check.kind == Kind::Manual;
    switch (role) {
    case Qt::DisplayRole:
        if (column == ItemColumn)
            return check.title;
        if (column == StateColumn)
            return stateText(check.state, check.kind);
        return checkDetail(check);
    case Qt::ToolTipRole:
        return u"%1 — %2: %3"_s.arg(check.title, stateText(check.state, check.kind), check.detail);
    case Qt::DecorationRole:
        if (column != ItemColumn)
            return {};
        return qGuiApp ? QVariant(stateIcon(check.state)) : QVariant(stateColor(check.state));
    case StateRole:
        return int(check.state);
    case CheckIdRole:
        return check.id;
    case CheckKindRole:
        return int(check.kind);
    case TickableRole:
        return manual && check.state != State::Pass;
    case UntickableRole:
        return manual && check.state == State::Pass;
    default:
        return {};
    }
}

QVariant GateChecklistModel::signatureData(const engine::SignatureStatus &signature,
                                           const engine::GateStatus &, int column, int role) const {
    const State state = signature.signOff ? State::Pass : State::Open;
    switch (role) {
    case Qt::DisplayRole:
        if (column == ItemColumn)
            return tr("Sign-off: %1").arg(signature.role);
        if (column == StateColumn)
            return signature.signOff ? tr("signed") : tr("awaiting");
        return signatureDetail(signature);
    case Qt::ToolTipRole:
        return signatureDetail(signature);
    case Qt::DecorationRole:
        if (column != ItemColumn)
            return {};
        return qGuiApp ? QVariant(stateIcon(state)) : QVariant(stateColor(state));
    case Qt::FontRole:
        if (column == ItemColumn) {
            QFont font;
            font.setItalic(true);
            return font;
        }
        return {};
    case StateRole:
        return int(state);
    case SignatureRoleRole:
        return signature.role;
    case TickableRole:
    case UntickableRole:
        return false;
    default:
        return {};
    }
}

QVariant GateChecklistModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case ItemColumn:
        return tr("Item");
    case StateColumn:
        return tr("State");
    case DetailColumn:
        return tr("Detail");
    default:
        return {};
    }
}

QHash<int, QByteArray> GateChecklistModel::roleNames() const {
    QHash<int, QByteArray> names = QAbstractItemModel::roleNames();
    names.insert(StateRole, "state");
    names.insert(KindRole, "kind");
    names.insert(GateIdRole, "gateId");
    names.insert(CheckIdRole, "checkId");
    names.insert(CheckKindRole, "checkKind");
    names.insert(SignatureRoleRole, "signatureRole");
    names.insert(TickableRole, "tickable");
    names.insert(UntickableRole, "untickable");
    names.insert(SignableRole, "signable");
    return names;
}

QList<engine::GateStatus> GateChecklistModel::gates() const {
    QList<engine::GateStatus> list;
    list.reserve(qsizetype(m_gates.size()));
    for (const auto &gate : m_gates)
        list.append(*gate);
    return list;
}

int GateChecklistModel::rowOf(const engine::GateStatus *gate) const {
    for (size_t row = 0; row < m_gates.size(); ++row) {
        if (m_gates[row].get() == gate)
            return int(row);
    }
    return -1;
}

void GateChecklistModel::setGates(const QList<engine::GateStatus> &gates) {
    QStringList currentIds;
    for (const auto &gate : m_gates)
        currentIds.append(gate->id);
    QStringList nextIds;
    for (const auto &gate : gates)
        nextIds.append(gate.id);

    // The every-second case (same plan, new values) only updates; a different plan inserts and
    // removes the gates that differ.
    reconcile(
        currentIds, nextIds,
        [&](int row, int nextIndex) {
            beginInsertRows({}, row, row);
            m_gates.insert(m_gates.begin() + row,
                           std::make_unique<engine::GateStatus>(gates.at(nextIndex)));
            endInsertRows();
        },
        [&](int row) {
            beginRemoveRows({}, row, row);
            m_gates.erase(m_gates.begin() + row);
            endRemoveRows();
        },
        [&](int row, int nextIndex) { updateGateRow(row, gates.at(nextIndex)); });
}

void GateChecklistModel::updateGateRow(int row, const engine::GateStatus &next) {
    engine::GateStatus &gate = *m_gates[size_t(row)];
    const QModelIndex gateIndex = index(row, 0);
    bool changed = gate.title != next.title;
    gate.title = next.title;

    const QStringList currentKeys = childKeys(gate);
    const QStringList nextKeys = childKeys(next);
    if (currentKeys != nextKeys) {
        changed = true;
        reconcile(
            currentKeys, nextKeys,
            [&](int childRow, int nextIndex) {
                beginInsertRows(gateIndex, childRow, childRow);
                if (nextIndex < int(next.checks.size()))
                    gate.checks.insert(childRow, next.checks.at(nextIndex));
                else
                    gate.signatures.insert(childRow - gate.checks.size(),
                                           next.signatures.at(nextIndex - next.checks.size()));
                endInsertRows();
            },
            [&](int childRow) {
                beginRemoveRows(gateIndex, childRow, childRow);
                if (childRow < int(gate.checks.size()))
                    gate.checks.removeAt(childRow);
                else
                    gate.signatures.removeAt(childRow - gate.checks.size());
                endRemoveRows();
            },
            [](int, int) {});
    }

    // Same structure now: only the rows whose content differs are reported.
    for (int i = 0; i < int(next.checks.size()); ++i) {
        if (!sameCheck(gate.checks.at(i), next.checks.at(i))) {
            changed = true;
            gate.checks[i] = next.checks.at(i);
            Q_EMIT dataChanged(index(i, 0, gateIndex), index(i, ColumnCount - 1, gateIndex));
        }
    }
    const int firstSignatureRow = int(gate.checks.size());
    bool signedChanged = false;
    for (int i = 0; i < int(next.signatures.size()); ++i) {
        if (!sameSignature(gate.signatures.at(i), next.signatures.at(i))) {
            changed = true;
            signedChanged = signedChanged || gate.signatures.at(i).signOff.has_value() !=
                                                 next.signatures.at(i).signOff.has_value();
            gate.signatures[i] = next.signatures.at(i);
            const int r = firstSignatureRow + i;
            Q_EMIT dataChanged(index(r, 0, gateIndex), index(r, ColumnCount - 1, gateIndex));
        }
    }
    if (signedChanged && firstSignatureRow > 0) {
        // Every row's SignableRole follows the gate's signatures.
        Q_EMIT dataChanged(index(0, 0, gateIndex),
                           index(firstSignatureRow - 1, ColumnCount - 1, gateIndex),
                           {SignableRole});
    }
    // The gate row's summary and blockers follow from its children.
    if (changed)
        Q_EMIT dataChanged(gateIndex, index(row, ColumnCount - 1));
}

} // namespace cutover::models
