#include "app/cli/command_store.h"

namespace cutover::cli {

config::StoreConfig commandStoreConfig(const config::Plan &plan, const QString &storePath) {
    if (storePath.isEmpty())
        return plan.store;
    config::StoreConfig config;
    config.path = storePath;
    return config;
}

std::unique_ptr<store::Store> openCommandStore(const config::Plan &plan, const QString &storePath,
                                               QTextStream &err) {
    auto opened = store::openStore(commandStoreConfig(plan, storePath));
    if (!opened) {
        err << "store: " << opened.error().toString() << '\n';
        return nullptr;
    }
    return std::move(opened.value());
}

} // namespace cutover::cli
