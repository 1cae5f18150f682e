#include "models/plan_errors_model.h"

using namespace Qt::StringLiterals;

namespace cutover::models {

PlanErrorsModel::PlanErrorsModel(QObject *parent)
    : QAbstractTableModel(parent) {}

void PlanErrorsModel::setErrors(const QList<config::PlanError> &errors) {
    beginResetModel();
    m_errors = errors;
    endResetModel();
}

int PlanErrorsModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_errors.size());
}

int PlanErrorsModel::columnCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PlanErrorsModel::data(const QModelIndex &index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const config::PlanError &error = m_errors.at(index.row());
    if (role == Qt::ToolTipRole)
        return error.toString();
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case LocationColumn:
        return error.line > 0 ? u"%1:%2"_s.arg(error.line).arg(error.column) : u"file"_s;
    case PathColumn:
        return error.path;
    case MessageColumn:
        return error.message;
    default:
        return {};
    }
}

QVariant PlanErrorsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case LocationColumn:
        return u"Line:Col"_s;
    case PathColumn:
        return u"Key"_s;
    case MessageColumn:
        return u"Problem"_s;
    default:
        return {};
    }
}

} // namespace cutover::models
