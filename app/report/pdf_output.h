#pragma once

// How console_report asks for a PDF without linking QtGui: the composition root (main.cpp)
// installs the Gui-based writer (app/report/pdf_writer.h, target console_report_pdf). A
// headless command run without it says so instead of writing a broken file.

#include <QString>

#include <functional>

class QIODevice;

namespace cutover::report {

// Renders `html` (QTextDocument's HTML subset) as an A4 PDF into `device`; false and `error`
// on failure.
using PdfRenderer = std::function<bool(const QString &html, const QString &title, QIODevice &device,
                                       QString *error)>;

void setPdfRenderer(PdfRenderer renderer);
// Empty when none was installed.
const PdfRenderer &pdfRenderer();

// Writes `html` as a PDF to `path` atomically (QSaveFile) with the installed renderer.
bool writePdfFile(const QString &html, const QString &title, const QString &path, QString *error);

} // namespace cutover::report
