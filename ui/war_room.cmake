# The war room's panels and dialogs: gate checklists, sign-in and sign-off, rollback progress,
# the audit log, the executive board (printed to PDF, hence PrintSupport).
target_sources(console_ui PRIVATE
    ${CMAKE_CURRENT_SOURCE_DIR}/checklist/checklist_panel.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/checklist/checklist_panel.h
    ${CMAKE_CURRENT_SOURCE_DIR}/dialogs/sign_off_dialog.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/dialogs/sign_off_dialog.h
    ${CMAKE_CURRENT_SOURCE_DIR}/dialogs/sign_in_dialog.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/dialogs/sign_in_dialog.h
    ${CMAKE_CURRENT_SOURCE_DIR}/rollback/rollback_progress_panel.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/rollback/rollback_progress_panel.h
    ${CMAKE_CURRENT_SOURCE_DIR}/audit/audit_view.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/audit/audit_view.h
    ${CMAKE_CURRENT_SOURCE_DIR}/executive/executive_board.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/executive/executive_board.h)
target_link_libraries(console_ui PUBLIC Qt6::PrintSupport)
