# Shared by the lab's shell tests (sourced): loads the lab state CTest names in
# CUTOVER_LAB_STATE, and counts PASS/FAIL lines.
# shellcheck shell=bash

state="${CUTOVER_LAB_STATE:?CUTOVER_LAB_STATE is not set: run through ctest (fixture lab)}"
[[ -f $state ]] || {
    echo "FAIL: no lab state at $state (did lab_up pass?)" >&2
    exit 1
}
# shellcheck disable=SC1090
source "$state"

failures=0
pass() { printf 'PASS: %s\n' "$*"; }
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    failures=$((failures + 1))
}
