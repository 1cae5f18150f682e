#include "app/cli/verify_audit.h"

#include "app/cli/command_line.h"
#include "app/store/audit_export.h"
#include "app/store/sqlite_store.h"

using namespace Qt::StringLiterals;

namespace cutover::cli {

namespace {

// Opens an existing store only: verifying must never create an empty one and call it "OK".
store::StoreResult<std::unique_ptr<store::SqliteStore>> openExisting(const QString &path) {
    store::SqliteStore::Options options;
    options.path = path;
    options.createIfMissing = false;
    return store::SqliteStore::open(options);
}

} // namespace

int verifyAuditCommand(const QString &storePath, QTextStream &out, QTextStream &err) {
    auto opened = openExisting(storePath);
    if (!opened) {
        err << opened.error().toString() << '\n';
        err.flush();
        return opened.error().kind == store::StoreError::Kind::Corrupt ? ExitInvalid : ExitUsage;
    }
    auto verification = opened.value()->verifyAuditChain();
    if (!verification) {
        err << verification.error().toString() << '\n';
        err.flush();
        return verification.error().kind == store::StoreError::Kind::Corrupt ? ExitInvalid
                                                                             : ExitUsage;
    }
    if (!verification.value().ok) {
        err << verification.value().toString() << '\n';
        err.flush();
        return ExitInvalid;
    }
    out << verification.value().toString() << '\n';
    out.flush();
    return ExitOk;
}

int exportAuditCommand(const QString &storePath, const QString &outputFile, QTextStream &out,
                       QTextStream &err) {
    auto opened = openExisting(storePath);
    if (!opened) {
        err << opened.error().toString() << '\n';
        err.flush();
        return ExitUsage;
    }
    store::Store &store = *opened.value();
    const bool csv = outputFile.endsWith(u".csv"_s, Qt::CaseInsensitive);
    auto exported =
        csv ? store::exportAuditCsv(store, outputFile) : store::exportAuditJson(store, outputFile);
    if (!exported) {
        err << exported.error().toString() << '\n';
        err.flush();
        return ExitUsage;
    }
    out << u"exported %1 entries to %2\n"_s.arg(exported.value()).arg(outputFile);
    out.flush();
    return ExitOk;
}

} // namespace cutover::cli
