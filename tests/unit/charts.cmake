# Chart data path: ring buffer, decimation, series model.
console_add_test(test_charts_buffer SOURCES test_charts_buffer.cpp LIBS console_models LABELS unit)
console_add_test(test_charts_decimator SOURCES test_charts_decimator.cpp LIBS console_models
    LABELS unit)
console_add_test(test_charts_series_model SOURCES test_charts_series_model.cpp
    LIBS console_models LABELS unit)
