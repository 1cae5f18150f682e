#pragma once

#include "app/cutover/gate_status.h"

#include <QAbstractItemModel>
#include <QIcon>

#include <memory>
#include <vector>

namespace cutover::models {

// The gates of one environment as a tree: each gate, and below it its checklist items followed by
// its signature rows. Fed a fresh list of GateStatus every second or so: setGates() updates the
// rows in place (dataChanged only for what changed; rows inserted or removed only where the plan's
// structure differs), so a view keeps its selection, expansion and scroll position.
class GateChecklistModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { ItemColumn, StateColumn, DetailColumn, ColumnCount };

    enum class RowKind { Gate, Check, Signature };

    // The state of a row, for colour and for tests. Checks use their own state; a signature row
    // is Pass when signed and Open while awaited; a gate is Pass when ready, Fail when any item
    // fails, Open when only manual work (ticks, signatures) is left, else Pending/Unknown.
    using State = engine::CheckStatus::State;

    enum Role {
        StateRole = Qt::UserRole + 1, // int(State)
        KindRole,                     // int(RowKind)
        GateIdRole,                   // QString, every row
        CheckIdRole,                  // QString, check rows
        CheckKindRole,                // int(config::Check::Kind), check rows
        SignatureRoleRole,            // QString: the role that signs, signature rows
        TickableRole,                 // bool: a manual item not ticked yet
        UntickableRole,               // bool: a manual item already ticked
        SignableRole,                 // bool: the gate (of any row) awaits a signature
    };

    explicit GateChecklistModel(QObject *parent = nullptr);
    ~GateChecklistModel() override;

    void setGates(const QList<engine::GateStatus> &gates);
    QList<engine::GateStatus> gates() const;
    void clear() { setGates({}); }

    // The gate a row belongs to (the gate itself for a gate row); nullptr when invalid.
    const engine::GateStatus *gateFor(const QModelIndex &index) const;
    // The check of a check row; nullptr otherwise.
    const engine::CheckStatus *checkFor(const QModelIndex &index) const;
    RowKind kindOf(const QModelIndex &index) const;
    QModelIndex indexOfGate(const QString &gateId, int column = ItemColumn) const;
    QModelIndex indexOfCheck(const QString &gateId, const QString &checkId,
                             int column = ItemColumn) const;

    // "3/4 · signed by Alice Smith" / "3/4 · awaiting release_manager".
    static QString gateSummary(const engine::GateStatus &gate);
    static State gateState(const engine::GateStatus &gate);
    // "score 83.3 (marginal: signers acknowledge it)": the gate's compare checks, scored.
    static QString scoreText(const analysis::GateScore &score);
    // Pass, Pending (marginal: people decide) or Fail, for colour and icon.
    static State scoreState(const analysis::GateScore &score);
    static QString stateText(State state, config::Check::Kind kind);
    static QString signatureDetail(const engine::SignatureStatus &signature);
    // The detail column of a check: who ticked a manual item and when (UTC), else the engine's
    // detail (the live value and what it needs).
    static QString checkDetail(const engine::CheckStatus &check);
    // A coloured state icon (a shape as well as a colour, for colour-blind readers). Needs a
    // QGuiApplication; without one the DecorationRole falls back to a plain QColor.
    static QIcon stateIcon(State state);
    static QColor stateColor(State state);

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    QVariant gateData(const engine::GateStatus &gate, int column, int role) const;
    QVariant checkData(const engine::CheckStatus &check, const engine::GateStatus &gate, int column,
                       int role) const;
    QVariant signatureData(const engine::SignatureStatus &signature, const engine::GateStatus &gate,
                           int column, int role) const;
    void updateGateRow(int row, const engine::GateStatus &next);
    int rowOf(const engine::GateStatus *gate) const;

    // Heap-allocated so a child index's pointer to its gate survives other gates' inserts.
    std::vector<std::unique_ptr<engine::GateStatus>> m_gates;
};

} // namespace cutover::models
