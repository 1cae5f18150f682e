#include "ui/war_room/header_bar.h"

#include "app/cutover/decision_text.h"
#include "app/cutover/gate_status.h"

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace cutover::ui {

namespace {

QString shareText(double share) {
    return QString::number(share * 100.0, 'f', 1) + u'%';
}

QString dotColor(engine::BackendHealth::State state, qint64 ageMs) {
    switch (state) {
    case engine::BackendHealth::State::Ok:
        // Answering, but not lately: amber.
        return ageMs > 60'000 ? u"#e0a800"_s : u"#2fb344"_s;
    case engine::BackendHealth::State::Degraded:
        return u"#e0a800"_s;
    case engine::BackendHealth::State::Down:
        return u"#e5484d"_s;
    case engine::BackendHealth::State::Unknown:
        return u"#8a93a6"_s;
    }
    return u"#8a93a6"_s;
}

} // namespace

QString ageText(const QDateTime &lastGood, const QDateTime &now) {
    if (!lastGood.isValid())
        return QObject::tr("never");
    return engine::formatSpan(lastGood.msecsTo(now));
}

HeaderBar::HeaderBar(QWidget *parent)
    : QWidget(parent)
    , m_plan(new QLabel(this))
    , m_environment(new QComboBox(this))
    , m_stage(new QLabel(this))
    , m_split(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_operator(new QLabel(this))
    , m_backendsLayout(new QHBoxLayout)
    , m_storeNotice(new QLabel(this))
    , m_decision(new QLabel(this)) {
    setAccessibleName(tr("Cutover status"));
    QFont big = m_stage->font();
    big.setPointSizeF(big.pointSizeF() * 1.6);
    big.setBold(true);
    m_stage->setFont(big);
    m_stage->setAccessibleName(tr("Stage and phase"));
    QFont medium = m_split->font();
    medium.setPointSizeF(medium.pointSizeF() * 1.25);
    m_split->setFont(medium);
    m_split->setAccessibleName(tr("Measured and target split"));
    m_split->setTextFormat(Qt::RichText);
    m_plan->setAccessibleName(tr("Plan"));
    m_plan->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_environment->setAccessibleName(tr("Environment"));
    m_environment->setToolTip(tr("Environment (Ctrl+E)"));
    m_progress->setAccessibleName(tr("Stabilization or hold progress"));
    m_progress->setTextVisible(true);
    m_progress->setMinimumWidth(220);
    m_operator->setAccessibleName(tr("Signed-in operator"));

    auto *envLabel = new QLabel(tr("&Environment:"), this);
    envLabel->setBuddy(m_environment);

    m_decision->setAccessibleName(tr("Who decides"));
    m_decision->setTextInteractionFlags(Qt::TextSelectableByMouse);

    // The plan's name and who decides give way (clipped, whole in the tooltip) rather than widen
    // the window past a 1366-pixel screen when the operator's name is long.
    for (QLabel *label : {m_plan, m_decision}) {
        label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        label->setMinimumWidth(120);
    }
    auto *top = new QHBoxLayout;
    top->addWidget(m_plan, 1);
    top->addSpacing(16);
    top->addWidget(m_decision, 1);
    top->addWidget(envLabel);
    top->addWidget(m_environment);
    top->addSpacing(16);
    top->addWidget(m_operator);

    auto *middle = new QHBoxLayout;
    middle->addWidget(m_stage);
    middle->addSpacing(24);
    middle->addWidget(m_split, 1);
    middle->addWidget(m_progress);

    m_backendsLayout->setSpacing(14);
    auto *bottom = new QHBoxLayout;
    bottom->addLayout(m_backendsLayout);
    bottom->addSpacing(16);
    bottom->addWidget(m_storeNotice, 1);
    bottom->addStretch(0);
    m_storeNotice->setAccessibleName(tr("Store outage"));
    m_storeNotice->setWordWrap(true);
    m_storeNotice->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_storeNotice->hide();
    colourStoreNotice();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 6);
    layout->setSpacing(4);
    layout->addLayout(top);
    layout->addLayout(middle);
    layout->addLayout(bottom);

    connect(m_environment, &QComboBox::currentTextChanged, this, &HeaderBar::environmentChosen);
}

void HeaderBar::setPlanName(const QString &name) {
    m_plan->setText(name);
    m_plan->setToolTip(name);
}

void HeaderBar::setEnvironments(const QStringList &environments) {
    const QSignalBlocker blocker(m_environment);
    m_environment->clear();
    m_environment->addItems(environments);
}

void HeaderBar::setOperator(const QString &text) {
    m_operator->setText(text);
}

QLabel *HeaderBar::backendLabel(const QString &name) const {
    for (QLabel *label : m_backends) {
        if (label->property("backend").toString() == name)
            return label;
    }
    return nullptr;
}

void HeaderBar::display(const engine::EnvironmentSnapshot &s, const QDateTime &now) {
    if (m_environment->currentText() != s.environment) {
        const QSignalBlocker blocker(m_environment);
        m_environment->setCurrentText(s.environment);
    }
    m_stage->setText(s.stateKnown
                         ? tr("%1% OTel · %2").arg(s.currentPercent).arg(engine::phaseName(s.phase))
                         : tr("Stage unknown · store not reached yet"));

    QString split;
    const QString measured = s.measuredShare ? shareText(*s.measuredShare) : tr("unknown");
    const bool inBand = s.measuredShare && s.stageIndex >= 0 && *s.measuredShare >= s.lowerBound &&
                        *s.measuredShare <= s.upperBound;
    const QString color = !s.measuredShare               ? u"#8a93a6"_s
                          : (s.stageIndex < 0 || inBand) ? u"#2fb344"_s
                                                         : u"#e0a800"_s;
    split = tr("measured <b><span style='color:%1'>%2</span></b>").arg(color, measured);
    if (s.stageIndex >= 0 && s.phase != engine::Phase::RolledBack)
        split +=
            tr(" · target %1 (accept %2–%3)")
                .arg(shareText(s.targetShare), shareText(s.lowerBound), shareText(s.upperBound));
    if (s.nextPercent >= 0)
        split += tr(" · next %1%").arg(s.nextPercent);
    m_split->setText(split);

    if (s.progressLabel.isEmpty()) {
        m_progress->setRange(0, 1);
        m_progress->setValue(s.phase == engine::Phase::Complete ? 1 : 0);
        m_progress->setFormat(s.phase == engine::Phase::Complete ? tr("complete")
                                                                 : tr("nothing running"));
    } else if (!s.progressEnd.isValid()) {
        m_progress->setRange(0, 0); // busy: waiting for data, open-ended
        m_progress->setFormat(s.progressLabel);
    } else {
        const qint64 total = std::max<qint64>(1, s.progressStart.msecsTo(s.progressEnd));
        const qint64 done = std::clamp<qint64>(s.progressStart.msecsTo(now), 0, total);
        m_progress->setRange(0, 1000);
        m_progress->setValue(int(done * 1000 / total));
        m_progress->setFormat(
            tr("%1: %2 left").arg(s.progressLabel, engine::formatSpan(total - done)));
    }

    // One indicator per backend; rebuilt only when the set changes.
    QStringList names;
    for (const auto &b : s.backends)
        names.append(b.name);
    QStringList current;
    for (QLabel *label : m_backends)
        current.append(label->property("backend").toString());
    if (names != current) {
        qDeleteAll(m_backends);
        m_backends.clear();
        for (const QString &name : names) {
            auto *label = new QLabel(this);
            label->setProperty("backend", name);
            label->setTextFormat(Qt::RichText);
            label->setAccessibleName(tr("Backend %1").arg(name));
            m_backendsLayout->addWidget(label);
            m_backends.append(label);
        }
    }
    for (int i = 0; i < s.backends.size(); ++i) {
        const auto &b = s.backends.at(i);
        const qint64 age = b.lastGoodAt.isValid() ? b.lastGoodAt.msecsTo(now) : -1;
        const QString state =
            b.state == engine::BackendHealth::State::Ok
                ? tr("ok")
                : (b.state == engine::BackendHealth::State::Down ? tr("down") : tr("unknown"));
        m_backends.at(i)->setText(u"<span style='color:%1'>●</span> %2 <small>%3</small>"_s.arg(
            dotColor(b.state, age), b.name.toHtmlEscaped(), ageText(b.lastGoodAt, now)));
        m_backends.at(i)->setToolTip(b.problem.isEmpty() ? state : state + u": "_s + b.problem);
        m_backends.at(i)->setAccessibleDescription(
            tr("%1, last good answer %2 ago").arg(state, ageText(b.lastGoodAt, now)));
    }
    displayStoreNotice(s, now);
    displayDecision(s.decision, now);
}

void HeaderBar::displayDecision(const engine::DecisionStatus &decision, const QDateTime &now) {
    const engine::DecisionText text = engine::describeDecision(decision, now);
    const bool lightTheme = palette().color(QPalette::Window).lightness() > 128;
    QString color;
    switch (text.tone) {
    case engine::DecisionText::Tone::Ok:
        color = palette().color(QPalette::WindowText).name();
        break;
    case engine::DecisionText::Tone::Warning:
        color = lightTheme ? u"#8a4b00"_s : u"#f5a623"_s; // amber that reads on either theme
        break;
    case engine::DecisionText::Tone::Alarm:
        color = lightTheme ? u"#b3261e"_s : u"#ff6b6b"_s;
        break;
    }
    m_decision->setStyleSheet(u"QLabel { color: %1; %2 }"_s.arg(
        color, text.tone == engine::DecisionText::Tone::Ok ? QString() : u"font-weight: bold;"_s));
    m_decision->setText(text.text);
    m_decision->setToolTip(text.tooltip);
}

void HeaderBar::colourStoreNotice() {
    // Amber that reads on either theme (the user may switch it at any time).
    const bool lightTheme = palette().color(QPalette::Window).lightness() > 128;
    m_storeNotice->setStyleSheet(u"QLabel { color: %1; font-weight: bold; }"_s.arg(
        lightTheme ? u"#8a4b00"_s : u"#f5a623"_s));
}

void HeaderBar::changeEvent(QEvent *event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        colourStoreNotice();
}

void HeaderBar::displayStoreNotice(const engine::EnvironmentSnapshot &s, const QDateTime &now) {
    const engine::BackendHealth *store = nullptr;
    for (const auto &b : s.backends) {
        if (b.name == u"store"_s)
            store = &b;
    }
    const bool down = store && store->state == engine::BackendHealth::State::Down;
    if (!down && s.auditEntriesWaiting == 0) {
        m_storeNotice->hide();
        return;
    }
    QString text;
    if (down) {
        text = store->lastGoodAt.isValid()
                   ? tr("Store unreachable for %1: reconnecting.")
                         .arg(engine::formatSpan(store->lastGoodAt.msecsTo(now)))
                   : tr("Store unreachable: reconnecting.");
        text += u' ' + tr("Shift and sign-off wait for it; Rollback works.");
    }
    if (s.auditEntriesWaiting > 0)
        text += (text.isEmpty() ? QString() : u" "_s) +
                (s.auditEntriesWaiting == 1
                     ? tr("1 audit entry kept on this desk until the store takes it.")
                     : tr("%1 audit entries kept on this desk until the store takes them.")
                           .arg(s.auditEntriesWaiting));
    m_storeNotice->setText(text);
    m_storeNotice->setToolTip(store ? store->problem : QString());
    m_storeNotice->show();
}

} // namespace cutover::ui
