#include "app/store/evidence_archive.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <archive.h>
#include <archive_entry.h>
#include <memory>

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {

struct ArchiveWriteDeleter {
    void operator()(archive *a) const { archive_write_free(a); }
};
struct ArchiveReadDeleter {
    void operator()(archive *a) const { archive_read_free(a); }
};
struct EntryDeleter {
    void operator()(archive_entry *e) const { archive_entry_free(e); }
};

QString reason(archive *a) {
    const char *text = archive_error_string(a);
    return text ? QString::fromLocal8Bit(text) : u"unknown libarchive error"_s;
}

StoreResult<QByteArray> sha256Of(const QString &path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return StoreError::io(u"cannot read %1: %2"_s.arg(path, file.errorString()));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&file))
        return StoreError::io(u"cannot read %1: %2"_s.arg(path, file.errorString()));
    return hash.result().toHex();
}

} // namespace

StoreResult<EvidenceArchive> writeEvidenceArchive(const QString &path,
                                                  const QList<EvidenceFile> &files,
                                                  const QDateTime &modified) {
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        return StoreError::io(u"cannot create the folder %1"_s.arg(info.absolutePath()));
    const QString part = info.absoluteFilePath() + u".part"_s;
    {
        std::unique_ptr<archive, ArchiveWriteDeleter> out(archive_write_new());
        if (!out || archive_write_add_filter_gzip(out.get()) != ARCHIVE_OK ||
            archive_write_set_format_pax_restricted(out.get()) != ARCHIVE_OK)
            return StoreError::io(u"cannot set up a .tar.gz writer: %1"_s.arg(reason(out.get())));
        const QByteArray partName = QFile::encodeName(part);
        if (archive_write_open_filename(out.get(), partName.constData()) != ARCHIVE_OK)
            return StoreError::io(u"cannot write %1: %2"_s.arg(part, reason(out.get())));
        for (const EvidenceFile &file : files) {
            std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
            const QByteArray name = file.name.toUtf8();
            archive_entry_set_pathname(entry.get(), name.constData());
            archive_entry_set_size(entry.get(), file.data.size());
            archive_entry_set_filetype(entry.get(), AE_IFREG);
            archive_entry_set_perm(entry.get(), 0640);
            archive_entry_set_mtime(entry.get(), modified.toSecsSinceEpoch(), 0);
            if (archive_write_header(out.get(), entry.get()) != ARCHIVE_OK ||
                archive_write_data(out.get(), file.data.constData(), size_t(file.data.size())) !=
                    file.data.size()) {
                const QString why = reason(out.get());
                out.reset();
                QFile::remove(part);
                return StoreError::io(u"cannot write %1 into %2: %3"_s.arg(file.name, part, why));
            }
        }
        if (archive_write_close(out.get()) != ARCHIVE_OK) {
            const QString why = reason(out.get());
            out.reset();
            QFile::remove(part);
            return StoreError::io(u"cannot finish %1: %2"_s.arg(part, why));
        }
    }
    // libarchive closed the file; flush it to disk before it takes its final name.
    {
        QFile written(part);
        if (!written.open(QIODevice::ReadWrite) || !written.flush()) {
            QFile::remove(part);
            return StoreError::io(u"cannot flush %1"_s.arg(part));
        }
    }
    QFile::remove(info.absoluteFilePath());
    if (!QFile::rename(part, info.absoluteFilePath())) {
        QFile::remove(part);
        return StoreError::io(u"cannot rename %1 to %2"_s.arg(part, info.absoluteFilePath()));
    }
    auto hash = sha256Of(info.absoluteFilePath());
    if (!hash)
        return hash.error();
    return EvidenceArchive{info.absoluteFilePath(), hash.value(),
                           QFileInfo(info.absoluteFilePath()).size()};
}

StoreResult<QList<EvidenceFile>> readEvidenceArchive(const QString &path) {
    std::unique_ptr<archive, ArchiveReadDeleter> in(archive_read_new());
    archive_read_support_filter_gzip(in.get());
    archive_read_support_format_tar(in.get());
    const QByteArray name = QFile::encodeName(path);
    if (archive_read_open_filename(in.get(), name.constData(), 64 * 1024) != ARCHIVE_OK)
        return StoreError::io(u"cannot read %1: %2"_s.arg(path, reason(in.get())));
    QList<EvidenceFile> files;
    archive_entry *entry = nullptr;
    int status = ARCHIVE_OK;
    while ((status = archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
        EvidenceFile file;
        file.name = QString::fromUtf8(archive_entry_pathname(entry));
        const la_int64_t size = archive_entry_size(entry);
        if (size < 0 || size > 512LL * 1024 * 1024)
            return StoreError::corrupt(u"%1: entry %2 has a bad size"_s.arg(path, file.name));
        file.data.resize(qsizetype(size));
        if (size > 0 && archive_read_data(in.get(), file.data.data(), size_t(size)) != size)
            return StoreError::corrupt(u"%1: %2"_s.arg(path, reason(in.get())));
        files.append(file);
    }
    if (status != ARCHIVE_EOF)
        return StoreError::corrupt(u"%1: %2"_s.arg(path, reason(in.get())));
    return files;
}

} // namespace cutover::store
