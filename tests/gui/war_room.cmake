# The war room's panels and dialogs, offscreen: checklist, rollback progress, audit view,
# executive board (PDF), sign-off and sign-in.
console_add_test(test_war_room_panels SOURCES test_war_room_panels.cpp LIBS console_ui
    LABELS gui)
console_add_test(test_war_room_dialogs SOURCES test_war_room_dialogs.cpp LIBS console_ui
    LABELS gui)
console_add_test(test_war_room_escalation SOURCES test_war_room_escalation.cpp LIBS console_ui
    LABELS gui)
console_add_test(test_war_room_passphrase SOURCES test_war_room_passphrase.cpp LIBS console_ui
    LABELS gui)
console_add_test(test_war_room_alarms SOURCES test_war_room_alarms.cpp LIBS console_ui
    LABELS gui)
# The Decommission tab (issue 12): a real engine and SQLite store, no backend reached.
console_add_test(test_decommission_panel SOURCES test_decommission_panel.cpp LIBS console_ui
    LABELS gui)
