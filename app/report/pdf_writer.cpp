#include "app/report/pdf_writer.h"

#include "app/report/pdf_output.h"

#include <QGuiApplication>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QTextDocument>

using namespace Qt::StringLiterals;

namespace cutover::report {

bool writeHtmlPdf(const QString &html, const QString &title, QIODevice &device, QString *error) {
    if (!qobject_cast<QGuiApplication *>(QCoreApplication::instance())) {
        if (error)
            *error = u"PDF output needs a QGuiApplication (run with QT_QPA_PLATFORM=offscreen "
                     u"when there is no display)"_s;
        return false;
    }
    QPdfWriter writer(&device);
    writer.setPageSize(QPageSize(QPageSize::A4));
    // QTextDocument::print() adds its own 2 cm margin (and page numbers) inside these.
    writer.setPageMargins(QMarginsF(5, 5, 5, 5), QPageLayout::Millimeter);
    writer.setResolution(300);
    writer.setTitle(title);
    writer.setCreator(u"Cutover Console"_s);

    QTextDocument document;
    document.setDefaultStyleSheet(u"body { color: #000000; } th { color: #000000; }"_s);
    QFont font = document.defaultFont();
    font.setPointSizeF(9.5);
    document.setDefaultFont(font);
    document.setHtml(html);
    document.print(&writer);
    return true;
}

void installPdfRenderer() {
    setPdfRenderer(&writeHtmlPdf);
}

} // namespace cutover::report
