#pragma once

// The QtGui half of PDF output (target console_report_pdf): QTextDocument laid out on a
// QPdfWriter, A4, black on white. Needs a QGuiApplication (fonts); under no display run it
// with QT_QPA_PLATFORM=offscreen.

#include <QString>

class QIODevice;

namespace cutover::report {

bool writeHtmlPdf(const QString &html, const QString &title, QIODevice &device, QString *error);

// Installs writeHtmlPdf as the renderer console_report uses (pdf_output.h). main.cpp calls it.
void installPdfRenderer();

} // namespace cutover::report
