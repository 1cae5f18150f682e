#include "ui/plan_errors_dialog.h"

#include "models/plan_errors_model.h"

#include <QClipboard>
#include <QDialogButtonBox>
#include <QGuiApplication>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace cutover::ui {

PlanErrorsDialog::PlanErrorsDialog(const QString &file, const QList<config::PlanError> &errors,
                                   QWidget *parent)
    : QDialog(parent)
    , m_model(new models::PlanErrorsModel(this))
    , m_table(new QTableView(this)) {
    setWindowTitle(tr("Plan errors"));
    setAccessibleName(tr("Plan errors"));
    m_model->setErrors(errors);

    auto *summary =
        new QLabel(tr("%n problem(s) in %1. Nothing was loaded; fix the file and open it again.",
                      nullptr, int(errors.size()))
                       .arg(file),
                   this);
    summary->setWordWrap(true);
    summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_table->setModel(m_model);
    m_table->setAccessibleName(tr("List of plan errors"));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(true);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->resizeColumnsToContents();
    m_table->resizeRowsToContents();

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto *copy = buttons->addButton(tr("&Copy all"), QDialogButtonBox::ActionRole);
    copy->setAccessibleName(tr("Copy all errors"));
    connect(copy, &QPushButton::clicked, this, [this] {
        QStringList lines;
        for (const auto &error : m_model->errors())
            lines.append(error.toString());
        QGuiApplication::clipboard()->setText(lines.join(u'\n'));
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(summary);
    layout->addWidget(m_table, 1);
    layout->addWidget(buttons);
    resize(900, 420);
}

} // namespace cutover::ui
