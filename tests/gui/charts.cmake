console_add_test(test_chart_panel SOURCES test_chart_panel.cpp LIBS console_ui LABELS gui)
