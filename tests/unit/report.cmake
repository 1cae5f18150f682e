# Status report and sign-off record (app/report): pure Markdown from hand-built snapshots, and
# real PDFs (QtGui, offscreen) read back with pdftotext.
console_add_test(test_report SOURCES test_report.cpp LIBS console_report_pdf LABELS unit)
# The cutover completion report: a real audit chain, the default plan, a PDF read back.
console_add_test(test_completion_report SOURCES test_completion_report.cpp LIBS console_report_pdf
                 LABELS unit)
