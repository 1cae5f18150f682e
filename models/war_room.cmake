# The war room's item models: gate checklists, the audit log (and its filter), rollback progress.
target_sources(console_models PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR}/gate_checklist_model.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/gate_checklist_model.h
    ${CMAKE_CURRENT_SOURCE_DIR}/audit_log_model.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/audit_log_model.h
    ${CMAKE_CURRENT_SOURCE_DIR}/rollback_progress_model.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/rollback_progress_model.h)
