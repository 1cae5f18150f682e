# The war room's item models: gate checklist, audit log and filter, rollback progress.
console_add_test(test_war_room_models SOURCES test_war_room_models.cpp LIBS console_models
    LABELS unit)
