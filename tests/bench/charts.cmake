# chart_refresh: one ChartPanel refresh + paint of 12 series × 17,280 points against plain Qt
# Charts fed the raw points. A benchmark that prints a table, not a ctest test.
add_executable(chart_refresh ${CMAKE_CURRENT_SOURCE_DIR}/chart_refresh.cpp)
target_link_libraries(chart_refresh PRIVATE console_ui console_models console_cli console_settings)
