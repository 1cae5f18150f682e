#pragma once

// Status reports and the executive sign-off record, headless.
//
//   cutover-console --report [--format md|pdf] [--out FILE] [--store PATH] [--plan FILE]
//   cutover-console --signoff-record --out FILE [--store PATH] [--plan FILE]
//   cutover-console --completion-report --out FILE [--store PATH] [--plan FILE]
//
// Both start the engine as --status does (monitor on), wait for one monitor round (bounded),
// then write. The status report also evaluates the plan's key-metric panels on Prometheus;
// anything Prometheus did not answer prints "unknown". PDF output needs the Gui renderer that
// main.cpp installs (app/report/pdf_output.h) and a QGuiApplication.
//
// Exit codes: 0 written, 1 failed (store, writing), 2 usage.

#include "app/config/plan.h"

#include <QString>
#include <QTextStream>

namespace cutover::cli {

struct ReportRequest {
    enum class Kind { Status, SignOffRecord, Completion };
    enum class Format { Markdown, Pdf };
    Kind kind = Kind::Status;
    Format format = Format::Markdown;
    QString outFile;            // empty: standard output (Markdown only)
    QString storePath;          // --store: overrides the plan's
    int monitorWaitMs = 10'000; // at most this long for the monitor's first round
    int metricsWaitMs = 10'000; // at most this long for the key-metric queries
};

// Parses "md", "markdown", "pdf"; false for anything else.
bool parseReportFormat(const QString &text, ReportRequest::Format *format);

// Runs on the application's event loop (which must exist and not be running yet).
int reportCommand(const config::Plan &plan, const ReportRequest &request, QTextStream &out,
                  QTextStream &err);

} // namespace cutover::cli
