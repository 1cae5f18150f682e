#pragma once

// A .tar.gz of evidence (the seed's "collect_debug_data; upload_to_incident_bucket"), written
// with libarchive: written to "<path>.part" and renamed into place, so an archive that exists is
// whole. Pure and thread-safe: the engine calls it on a worker thread.

#include "app/store/store_error.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>

namespace cutover::store {

struct EvidenceFile {
    QString name; // path inside the archive, e.g. "series/split.json"
    QByteArray data;
};

struct EvidenceArchive {
    QString path;         // absolute
    QByteArray sha256Hex; // of the archive's bytes
    qint64 bytes = 0;
};

// Creates the folder when missing. Io errors name the file and libarchive's reason.
StoreResult<EvidenceArchive> writeEvidenceArchive(const QString &path,
                                                  const QList<EvidenceFile> &files,
                                                  const QDateTime &modified);

// The names and contents of a .tar.gz (tests, and verifying what was written).
StoreResult<QList<EvidenceFile>> readEvidenceArchive(const QString &path);

} // namespace cutover::store
