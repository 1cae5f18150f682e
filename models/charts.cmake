# Chart data path: ring buffers, decimation, the per-panel series model.
target_sources(console_models PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR}/time_series_buffer.cpp ${CMAKE_CURRENT_SOURCE_DIR}/time_series_buffer.h
    ${CMAKE_CURRENT_SOURCE_DIR}/decimator.cpp ${CMAKE_CURRENT_SOURCE_DIR}/decimator.h
    ${CMAKE_CURRENT_SOURCE_DIR}/chart_series_model.cpp ${CMAKE_CURRENT_SOURCE_DIR}/chart_series_model.h)
