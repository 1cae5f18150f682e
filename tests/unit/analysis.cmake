# The statistics of compare checks (issue 14): pure functions, no lab needed.
console_add_test(test_analysis_mann_whitney SOURCES test_analysis_mann_whitney.cpp LABELS unit)
console_add_test(test_analysis_hodges_lehmann SOURCES test_analysis_hodges_lehmann.cpp
    LABELS unit)
console_add_test(test_analysis_compare SOURCES test_analysis_compare.cpp LABELS unit)
console_add_test(test_analysis_gate_score SOURCES test_analysis_gate_score.cpp LABELS unit)
# Mann-Whitney against SciPy (python3-scipy, seen by /usr/bin/python3). Without SciPy the test
# skips, and CTest reports it skipped rather than passed. Its own executable, so that a skip
# never hides the tests above.
console_add_test(test_analysis_scipy SOURCES test_analysis_scipy.cpp LABELS unit TIMEOUT 180)
set_tests_properties(test_analysis_scipy PROPERTIES SKIP_REGULAR_EXPRESSION
    "Totals: [0-9]+ passed, 0 failed, [1-9][0-9]* skipped")
