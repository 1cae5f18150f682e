# The decommission (issue 12): the plan section and the ledger, no lab needed.
console_add_test(test_decommission_plan SOURCES test_decommission_plan.cpp
    LIBS console_decommission LABELS unit)
console_add_test(test_decommission_actions SOURCES test_decommission_actions.cpp
    LIBS console_decommission LABELS unit)
