#include "app/report/pdf_output.h"

#include <QSaveFile>

using namespace Qt::StringLiterals;

namespace cutover::report {

namespace {
PdfRenderer &installed() {
    static PdfRenderer renderer;
    return renderer;
}
} // namespace

void setPdfRenderer(PdfRenderer renderer) {
    installed() = std::move(renderer);
}

const PdfRenderer &pdfRenderer() {
    return installed();
}

bool writePdfFile(const QString &html, const QString &title, const QString &path, QString *error) {
    const PdfRenderer &render = pdfRenderer();
    if (!render) {
        if (error)
            *error = u"PDF output is not available in this build (no PDF writer installed)"_s;
        return false;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = u"cannot write %1: %2"_s.arg(path, file.errorString());
        return false;
    }
    if (!render(html, title, file, error)) {
        file.cancelWriting();
        return false;
    }
    if (!file.commit()) {
        if (error)
            *error = u"cannot write %1: %2"_s.arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace cutover::report
