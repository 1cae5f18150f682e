# The chart panel (Qt Charts) on top of models/chart_series_model.
target_sources(console_ui PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR}/charts/chart_panel.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/charts/chart_panel.h
    ${CMAKE_CURRENT_SOURCE_DIR}/charts/unit_format.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/charts/unit_format.h)
# Why a compare check judged as it did: both samples and their histograms (issue 14).
target_sources(console_ui PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR}/charts/compare_view.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/charts/compare_view.h)
