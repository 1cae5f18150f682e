#pragma once

#include "app/config/plan.h"
#include "app/store/store.h"

#include <QString>
#include <QTextStream>

#include <memory>

namespace cutover::cli {

// The store a headless command works on: the plan's, or only the SQLite file --store names (a
// plan's PostgreSQL URL must not win over the file the operator asked for).
config::StoreConfig commandStoreConfig(const config::Plan &plan, const QString &storePath);

// Opens commandStoreConfig(); null after printing "store: <why>" to `err`.
std::unique_ptr<store::Store> openCommandStore(const config::Plan &plan, const QString &storePath,
                                               QTextStream &err);

} // namespace cutover::cli
