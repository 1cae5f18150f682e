#include "app/cli/verify_audit.h"

#include "app/cli/command_line.h"
#include "app/store/audit_checkpoint.h"
#include "app/store/audit_export.h"
#include "app/store/postgres_journal.h"
#include "app/store/store.h"

#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace cutover::cli {

namespace {

// Entries this desk queued while the shared store was away and has not written yet. Only looks:
// a journal that does not exist is not created.
qint64 journalWaiting(const config::StoreConfig &config, QString *path) {
    if (config.url.isEmpty())
        return 0;
    *path = store::auditJournalPathFor(config);
    if (!QFileInfo::exists(*path))
        return 0;
    auto journal = store::AuditJournal::open(*path);
    if (!journal)
        return 0;
    auto count = journal.value()->count();
    return count ? count.value() : 0;
}

} // namespace

int verifyAuditCommand(const config::StoreConfig &config, QTextStream &out, QTextStream &err,
                       const QString &checkpointsFile) {
    auto opened = store::openExistingStore(config);
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
    if (!checkpointsFile.isEmpty()) {
        const store::CheckpointFile published = store::readCheckpointFile(checkpointsFile);
        if (!published.errors.isEmpty()) {
            err << published.errors.join(u'\n') << '\n';
            err.flush();
            return ExitInvalid;
        }
        auto entries = opened.value()->auditEntries();
        if (!entries) {
            err << entries.error().toString() << '\n';
            err.flush();
            return ExitUsage;
        }
        const store::CheckpointVerification anchored =
            store::verifyAgainstCheckpoints(entries.value(), published.checkpoints);
        if (!anchored.ok) {
            out.flush();
            err << u"BROKEN at seq %1: %2\n"_s.arg(anchored.brokenSeq).arg(anchored.problem);
            err.flush();
            return ExitInvalid;
        }
        QStringList keys;
        for (const QString &key : anchored.keys)
            keys.append(store::shortFingerprint(key));
        out << (anchored.last
                    ? u"checkpoints: %1 published in %2, all match the log (the last signs seq %3 "
                      u"at %4; key %5)\n"_s.arg(anchored.matched)
                          .arg(checkpointsFile)
                          .arg(anchored.last->seq)
                          .arg(anchored.last->at.toUTC().toString(Qt::ISODate), keys.join(u", "_s))
                    : u"checkpoints: none published in %1\n"_s.arg(checkpointsFile));
    }
    QString journalPath;
    if (const qint64 waiting = journalWaiting(config, &journalPath); waiting > 0)
        out << u"note: %1 audit entries of this desk wait in %2; a console of this desk writes "
               u"them to the shared store when it next connects\n"_s.arg(waiting)
                   .arg(journalPath);
    out.flush();
    return ExitOk;
}

int exportAuditCommand(const config::StoreConfig &config, const QString &outputFile,
                       QTextStream &out, QTextStream &err) {
    auto opened = store::openExistingStore(config);
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
