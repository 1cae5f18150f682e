#!/usr/bin/env bash
# lab_smoke: the shared lab answers as the other integration tests expect. Read-only but for
# one POST to the webhook sink (path /lab_smoke): it changes no weight and no mode, since other
# tests share the lab.
#
# Usage: lab_smoke.sh PATH/TO/lab_runtime   (with CUTOVER_LAB_STATE set, as CTest does)
set -euo pipefail

runtime="${1:?usage: lab_smoke.sh PATH/TO/lab_runtime}"
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"

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

# Prometheus: every target up. Prometheus 2.42 starts scraping ~5 s after it starts. The
# cutover_controller job's two targets are up only while a test runs a controller: not counted.
targets_up() {
    local body
    body="$(curl -fsS --max-time 2 \
        --data-urlencode 'query=count(up{env="lab",job!="cutover_controller"} == 1)' \
        "$LAB_PROMETHEUS_URL/api/v1/query")" || return 1
    [[ $body == *'"9"]'* ]]
}
if poll 20 targets_up; then
    pass "Prometheus has all 9 lab targets up"
else
    fail "Prometheus targets not all up after 20 s:" \
        "$(curl -fsS --max-time 2 "$LAB_PROMETHEUS_URL/api/v1/targets" | head -c 2000)"
fi

# The controllers' scrape job: both reserved ports, whether or not a controller listens there.
targets="$(curl -fsS --max-time 2 "$LAB_PROMETHEUS_URL/api/v1/targets?state=active")" || targets=""
for port in "$LAB_CONTROLLER_PORT" "$LAB_CONTROLLER_PORT_2"; do
    if [[ -n $port && $targets == *'"scrapeUrl":"http://127.0.0.1:'"$port"'/metrics"'* &&
        $targets == *'"job":"cutover_controller"'* ]]; then
        pass "Prometheus scrapes a controller at 127.0.0.1:$port (job cutover_controller)"
    else
        fail "no cutover_controller target at 127.0.0.1:${port:-(LAB_CONTROLLER_PORT unset)}"
    fi
done
if [[ $LAB_CONTROLLER_LISTEN == "127.0.0.1:$LAB_CONTROLLER_PORT" &&
    $LAB_CONTROLLER_LISTEN_2 == "127.0.0.1:$LAB_CONTROLLER_PORT_2" ]]; then
    pass "LAB_CONTROLLER_LISTEN(_2) name the reserved ports"
else
    fail "LAB_CONTROLLER_LISTEN='${LAB_CONTROLLER_LISTEN:-}' LAB_CONTROLLER_LISTEN_2='${LAB_CONTROLLER_LISTEN_2:-}'"
fi
if curl -fsS --max-time 2 "$LAB_PROMETHEUS_URL/api/v1/rules?type=alert" |
    grep -q '"name":"CutoverControllerDown"'; then
    pass "the CutoverControllerDown rule is loaded"
else
    fail "Prometheus has no CutoverControllerDown rule"
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

# The webhook sink records what it receives: one POST, found again in GET /received.
sink_control="http://127.0.0.1:$LAB_WEBHOOK_CONTROL_PORT"
mark="$$-$(date +%s%N)"
if curl -fsS --max-time 2 -o /dev/null -H 'Content-Type: application/json' \
    --data "{\"lab_smoke\":\"$mark\"}" "$LAB_WEBHOOK_URL/lab_smoke"; then
    received="$(curl -fsS --max-time 2 "$sink_control/received")" || received=""
    entry="$(grep -F "\"lab_smoke\":\"$mark\"" <<<"$received")" || entry=""
    if [[ $entry == '{"seq":'*'"path":"/lab_smoke",'*'"body":{"lab_smoke":"'"$mark"'"}}'* ]]; then
        pass "webhook sink lists the POST in /received: $entry"
    else
        fail "webhook sink's /received lacks the POST (mark $mark): $(head -c 600 <<<"$received")"
    fi
    seq="$(sed -n 's/^{"seq":\([0-9]*\),.*/\1/p' <<<"$entry")"
    if [[ -n $seq ]] && [[ $(curl -fsS --max-time 2 "$sink_control/received?after=$seq") != *'"seq":'"$seq"','* ]]; then
        pass "/received?after=$seq leaves it out"
    else
        fail "/received?after=${seq:-?} still lists it"
    fi
    if curl -fsS --max-time 2 "$LAB_WEBHOOK_URL/metrics" |
        grep -Eq '^lab_webhook_requests_total\{path="/lab_smoke"\} [1-9][0-9]*$'; then
        pass "webhook sink counts it in lab_webhook_requests_total{path=\"/lab_smoke\"}"
    else
        fail "no lab_webhook_requests_total{path=\"/lab_smoke\"} on the sink's /metrics"
    fi
else
    fail "webhook sink did not accept a POST at $LAB_WEBHOOK_URL/lab_smoke"
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
