# Shared by scripts/test and scripts/demo: install what is missing, configure, build.
# shellcheck shell=bash

CONSOLE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CONSOLE_BUILD_DIR="${CONSOLE_BUILD_DIR:-$CONSOLE_ROOT/build/dev}"

# Debian 12 packages the build, the tests, the lab and the demo need.
CONSOLE_PACKAGES=(
    build-essential cmake ninja-build pkg-config
    qt6-base-dev qt6-base-dev-tools qt6-charts-dev libqt6opengl6-dev qt6-svg-dev
    libqt6sql6-sqlite libqt6sql6-psql libgl-dev
    libyaml-cpp-dev libarchive-dev libsodium-dev qt6-httpserver-dev qt6-websockets-dev python3-scipy
    haproxy prometheus prometheus-alertmanager postgresql postgresql-15 python3 util-linux passwd
    xvfb xauth x11-utils imagemagick poppler-utils dpkg-dev file desktop-file-utils appstream
    ca-certificates curl fonts-dejavu-core systemd
)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_missing_packages() {
    local missing=()
    local pkg status
    for pkg in "${CONSOLE_PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
        [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    log "installing ${#missing[@]} missing Debian packages: ${missing[*]}"
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    # policy-rc.d keeps the packaged daemons (haproxy, prometheus, postgresql) from starting:
    # the lab starts its own on loopback.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod +x "$policy"
        created_policy=1
    fi
    "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
    if ((created_policy)); then
        "${sudo[@]}" rm -f "$policy"
    fi
}

configure_and_build() {
    local preset="${CONSOLE_PRESET:-dev}"
    log "configuring ($preset) in $CONSOLE_BUILD_DIR"
    cmake -S "$CONSOLE_ROOT" -B "$CONSOLE_BUILD_DIR" --preset "$preset" >/dev/null
    log "building"
    cmake --build "$CONSOLE_BUILD_DIR" --parallel "$(nproc)"
}
