#!/usr/bin/env bash
# lab_smoke: the shared lab answers as the other integration tests expect. Read-only: it changes
# nothing in the lab (no weights, no modes), since other tests share it.
#
# Usage: lab_smoke.sh PATH/TO/lab_runtime   (with CUTOVER_LAB_STATE set, as CTest does)
set -euo pipefail

runtime="${1:?usage: lab_smoke.sh PATH/TO/lab_runtime}"
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

# poll SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds or time is up.
poll() {
    local tries=$(($1 * 10)) i
    shift
    for ((i = 0; i < tries; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

# Runtime APIs: admin over TCP and unix socket, and the user-level socket refusing changes.
for lb in LB_A LB_B; do
    admin="LAB_${lb}_ADMIN"
    socket="LAB_${lb}_SOCKET_URL"
    user="LAB_${lb}_USER"
    for address in "${!admin}" "${!socket}"; do
        if "$runtime" "$address" "show info" | grep -q '^Name: HAProxy'; then
            pass "$lb answers 'show info' on $address"
        else
            fail "$lb does not answer 'show info' on $address"
        fi
    done
    answer="$("$runtime" "${!user}" "set server telemetry_backend/otel-collector-1 weight 0")" ||
        true
    if [[ $answer == *"Permission denied"* ]]; then
        pass "$lb user-level socket refuses a weight change"
    else
        fail "$lb user-level socket answered '$answer' to a weight change"
    fi
    answer="$("$runtime" "${!admin}" "get weight telemetry_backend/legacy-collector-1")" || true
    if [[ $answer == "100 (initial 100)"* ]]; then
        pass "$lb legacy-collector-1 weight is the lab's initial 100"
    else
        # Another test may have changed it: worth a note, not a failure.
        printf 'NOTE: %s legacy-collector-1 weight: %s\n' "$lb" "$answer"
    fi
done

# Prometheus: every target up. Prometheus 2.42 starts scraping ~5 s after it starts.
targets_up() {
    local body
    body="$(curl -fsS --max-time 2 --data-urlencode 'query=count(up{env="lab"} == 1)' \
        "$LAB_PROMETHEUS_URL/api/v1/query")" || return 1
    [[ $body == *'"9"]'* ]]
}
if poll 20 targets_up; then
    pass "Prometheus has all 9 lab targets up"
else
    fail "Prometheus targets not all up after 20 s:" \
        "$(curl -fsS --max-time 2 "$LAB_PROMETHEUS_URL/api/v1/targets" | head -c 2000)"
fi

# Alertmanager ready, and the always-firing watchdog delivered to it through Prometheus.
if curl -fsS --max-time 2 -o /dev/null "$LAB_ALERTMANAGER_URL/-/ready"; then
    pass "Alertmanager ready"
else
    fail "Alertmanager not ready at $LAB_ALERTMANAGER_URL"
fi
watchdog_delivered() {
    curl -fsS --max-time 2 "$LAB_ALERTMANAGER_URL/api/v2/alerts?filter=alertname%3DCutoverWatchdog" |
        grep -q '"alertname":"CutoverWatchdog"'
}
if poll 20 watchdog_delivered; then
    pass "CutoverWatchdog firing in Alertmanager"
else
    fail "CutoverWatchdog did not reach Alertmanager within 20 s"
fi

# Traffic reaches the collectors: the legacy pool's answered requests keep growing.
legacy_requests() {
    local total=0 i port value
    for i in 1 2 3 4 5; do
        local pool="LAB_COLLECTOR_${i}_POOL"
        [[ ${!pool} == legacy ]] || continue
        port="LAB_COLLECTOR_${i}_PORT"
        value="$(curl -fsS --max-time 2 "http://127.0.0.1:${!port}/metrics" |
            sed -n 's/^lab_collector_http_requests_total{code="200"} \([0-9]*\)$/\1/p')" || value=0
        total=$((total + ${value:-0}))
    done
    echo "$total"
}
first="$(legacy_requests)"
traffic_grows() { (($(legacy_requests) > first)); }
if poll 5 traffic_grows; then
    pass "traffic arrives at the legacy collectors ($first requests answered, growing)"
else
    fail "no traffic arrived at the legacy collectors within 5 s (is LAB_TRAFFIC_PID alive?)"
fi

if ((failures > 0)); then
    echo "lab_smoke: $failures check(s) failed; logs in $LAB_DIR/logs" >&2
    exit 1
fi
echo "lab_smoke: all checks passed"
