#include "ui/application.h"

#include "app/config/application_identity.h"
#include "app/config/plan_loader.h"
#include "app/cutover/cutover_engine.h"
#include "app/report/pdf_writer.h"
#include "app/store/operators_file.h"
#include "app/store/rehearsal_store.h"
#include "app/store/store.h"
#include "app/store/store_runner.h"
#include "ui/dialogs/sign_in_dialog.h"
#include "ui/main_window.h"
#include "ui/war_room/theme.h"
#include "ui/war_room/war_room_window.h"

#include <QApplication>
#include <QMessageBox>
#include <QSettings>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace cutover::ui {

namespace {

using StoreResultOf = store::StoreResult<std::unique_ptr<store::Store>>;

StoreResultOf openForWindow(const config::Plan &plan, const config::StoreConfig &storeConfig,
                            bool rehearsal) {
    if (!rehearsal)
        return store::openStore(storeConfig, store::systemClock(),
                                store::StoreStart::AllowUnreachable);
    QStringList environments;
    for (const auto &env : plan.environments)
        environments.append(env.name);
    auto opened = store::openRehearsalStore(storeConfig, environments);
    if (!opened)
        return opened.error();
    return std::move(opened.value().store);
}

// When the plan cannot be used, the plan window says why (every error, with its line).
int runPlanWindow(const QString &planFile, const QString &problem) {
    MainWindow window;
    window.show();
    QTimer::singleShot(0, &window, [&window, planFile, problem] {
        window.openPlan(planFile);
        if (!problem.isEmpty()) {
            auto *box = new QMessageBox(QMessageBox::Critical, QObject::tr("Cutover Console"),
                                        problem, QMessageBox::Close, &window);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open(); // never exec(): no nested event loop
        }
    });
    return QApplication::exec();
}

} // namespace

int runWindow(int &argc, char **argv, const WindowOptions &options) {
    QApplication app(argc, argv);
    config::setApplicationIdentity();
    report::installPdfRenderer();
    QApplication::setApplicationDisplayName(u"Cutover Console"_s);
    applyTheme(QSettings().value(u"warRoom/darkTheme"_s, true).toBool() ? Theme::Dark
                                                                        : Theme::Light);

    const QString planFile =
        options.planFile.isEmpty() ? MainWindow::defaultPlanPath() : options.planFile;
    config::PlanLoadResult loaded = config::loadPlanFile(planFile);
    if (!loaded.ok())
        return runPlanWindow(planFile, {});
    const config::Plan plan = *loaded.plan;

    config::StoreConfig storeConfig = plan.store;
    if (!options.storePath.isEmpty())
        storeConfig.path = options.storePath;
    // The store opens and works on a thread of its own: the window never waits on a database,
    // and starts without a reachable shared store (Rollback must not wait for it). A rehearsal
    // (--dry-run) runs on its own copy of the store and never writes the live one.
    store::StoreRunner storeRunner([plan, storeConfig, dryRun = options.dryRun] {
        return openForWindow(plan, storeConfig, dryRun);
    });
    std::optional<store::OperatorsFile> operators;
    QString operatorsProblem;
    if (plan.operators.file.isEmpty()) {
        operatorsProblem = QObject::tr("the plan names no operators file (operators.file)");
    } else {
        auto loadedOperators = store::loadOperatorsFile(plan.operators.file, &plan);
        if (loadedOperators.ok())
            operators = loadedOperators.file;
        else
            operatorsProblem = loadedOperators.errorText();
    }

    engine::CutoverEngine::Options engineOptions;
    engineOptions.dryRun = options.dryRun;
    engine::CutoverEngine engine(plan, storeRunner, operators, engineOptions);
    WarRoomWindow window(engine);
    window.show();
    QObject::connect(&storeRunner, &store::StoreRunner::opened, &window,
                     [&window](bool ok, const QString &error) {
                         if (ok)
                             return;
                         // Rollback still works (its commands go out first); nothing is recorded.
                         auto *box = new QMessageBox(
                             QMessageBox::Critical, QObject::tr("Cutover Console"),
                             QObject::tr("The store could not be opened, so nothing can be "
                                         "recorded:\n%1")
                                 .arg(error),
                             QMessageBox::Close, &window);
                         box->setAttribute(Qt::WA_DeleteOnClose);
                         box->open();
                     });
    // The first frame first; then the store, the monitor and the sign-in.
    QTimer::singleShot(0, &window, [&window, &engine, options, operatorsProblem] {
        engine.start();
        window.refresh();
        window.askSignIn();
        if (auto *dialog = window.signInDialog()) {
            if (!options.operatorName.isEmpty())
                dialog->setName(options.operatorName);
            if (!operatorsProblem.isEmpty())
                dialog->setMessage(QObject::tr("Operators file: %1").arg(operatorsProblem));
        }
    });
    return QApplication::exec();
}

} // namespace cutover::ui
