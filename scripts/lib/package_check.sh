#!/usr/bin/env bash
# Builds the Debian package, unpacks it into a temporary root and runs what it installed;
# checks the controller's systemd unit (systemd-analyze verify on the unit as packaged), its
# sysusers.d file and the maintainer scripts (nothing enabled or started).
#   scripts/lib/package_check.sh [BUILD_DIR]     (default: $CONSOLE_BUILD_DIR or build/dev)
# The build must be done. Exits non-zero on the first failed check, naming it. Also the CTest
# test `package_check` (label `package`).
set -euo pipefail

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="${1:-${CONSOLE_BUILD_DIR:-$root_dir/build/dev}}"
build_dir="$(cd "$build_dir" && pwd)"
cpack_cmd="${CPACK:-cpack}"

failures=0
say() { printf 'package_check: %s\n' "$*"; }
fail() {
    printf 'package_check: FAIL: %s\n' "$*" >&2
    failures=$((failures + 1))
}
ok() { say "ok: $*"; }

[[ -f "$build_dir/CPackConfig.cmake" ]] || {
    fail "$build_dir has no CPackConfig.cmake (configure and build first)"
    exit 1
}
[[ -x "$build_dir/cutover-console" ]] || {
    fail "$build_dir/cutover-console is not built"
    exit 1
}

work="$(mktemp -d "${TMPDIR:-/tmp}/cutover-package-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --- Build the .deb (into the temporary folder: the build dir stays clean) ---
say "building the .deb with $cpack_cmd -G DEB"
if ! (cd "$build_dir" && "$cpack_cmd" -G DEB -B "$work/out" >"$work/cpack.log" 2>&1); then
    cat "$work/cpack.log" >&2
    fail "cpack -G DEB failed"
    exit 1
fi
shopt -s nullglob
debs=("$work"/out/cutover-console_*.deb)
shopt -u nullglob
if ((${#debs[@]} != 1)); then
    cat "$work/cpack.log" >&2
    fail "expected one cutover-console_*.deb, found ${#debs[@]}"
    exit 1
fi
deb="${debs[0]}"
ok "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

# --- Control fields ---
package="$(dpkg-deb --field "$deb" Package)"
version="$(dpkg-deb --field "$deb" Version)"
depends="$(dpkg-deb --field "$deb" Depends)"
check() { # check DESCRIPTION COMMAND...
    local what="$1"
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}
check "Package: $package" test "$package" = cutover-console
check "Version: $version" test -n "$version"
check "Maintainer: $(dpkg-deb --field "$deb" Maintainer)" test -n "$(dpkg-deb --field "$deb" Maintainer)"
check "Section: $(dpkg-deb --field "$deb" Section)" test -n "$(dpkg-deb --field "$deb" Section)"
say "Depends: $depends"
for needed in libqt6core6 libqt6gui6 libqt6widgets6 libqt6network6 libqt6sql6 libqt6charts6 \
    libqt6printsupport6 libqt6svg6 libqt6sql6-sqlite libqt6sql6-psql libyaml-cpp0.7; do
    grep -Eq "(^|[ ,])${needed//./\\.}( |,|$)" <<<"$depends" || fail "Depends lacks $needed"
done
# Every dependency must name a package this Debian knows and has installed (a wrong name
# would make the .deb uninstallable).
IFS=',' read -ra deps <<<"$depends"
for dep in "${deps[@]}"; do
    name="$(sed -E 's/^ *([^ (|]+).*/\1/' <<<"$dep")"
    [[ -z "$name" ]] && continue
    if dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed"; then
        :
    else
        fail "dependency '$name' is not an installed package here"
    fi
done

# --- Contents ---
dpkg -x "$deb" "$work/root"
prefix="$work/root/usr"
expect_file() {
    if [[ -s "$prefix/$1" ]]; then ok "installs /usr/$1"; else fail "missing /usr/$1"; fi
}
expect_file bin/cutover-console
expect_file share/cutover-console/plans/default.yaml
expect_file share/cutover-console/plans/lab.yaml
expect_file share/applications/cutover-console.desktop
expect_file share/metainfo/io.example.CutoverConsole.metainfo.xml
expect_file share/icons/hicolor/scalable/apps/cutover-console.svg
expect_file lib/systemd/system/cutover-console.service
expect_file lib/sysusers.d/cutover-console.conf
expect_file share/doc/cutover-console/examples/cutover-console.rules.yml
expect_file share/doc/cutover-console/README.md
for size in 16 22 24 32 48 64 128 256; do
    png="share/icons/hicolor/${size}x${size}/apps/cutover-console.png"
    expect_file "$png"
    if [[ -s "$prefix/$png" ]] && command -v file >/dev/null; then
        file "$prefix/$png" | grep -q "PNG image data, $size x $size" ||
            fail "$png is not a ${size}x${size} PNG: $(file -b "$prefix/$png")"
    fi
done
unexpected="$(cd "$work/root" && { find . -type f | grep -Ev '^\./usr/(bin/cutover-console|lib/(systemd/system/cutover-console\.service|sysusers\.d/cutover-console\.conf)|share/(cutover-console/plans/[a-z_]+\.yaml|applications/cutover-console\.desktop|metainfo/io\.example\.CutoverConsole\.metainfo\.xml|icons/hicolor/[^/]+/apps/cutover-console\.(png|svg)|doc/.*))$' || true; })"
check "nothing else installed${unexpected:+: unexpected $unexpected}" test -z "$unexpected"
# A .wants/ symlink in the package would enable the unit on install: there must be none.
links="$(cd "$work/root" && find . -type l)"
check "no symbolic links (nothing enabled by the package)${links:+: $links}" test -z "$links"

# --- The controller under systemd: unit, system user, maintainer scripts ---
unit="$work/root/usr/lib/systemd/system/cutover-console.service"
sysusers="$work/root/usr/lib/sysusers.d/cutover-console.conf"
if [[ -s $unit && -s $sysusers ]]; then
    # unit_value KEY: the values of KEY= in the unit, one a line (comments are whole lines).
    unit_value() { sed -n "s/^$1=//p" "$unit"; }
    exec_start="$(unit_value ExecStart)"
    check "ExecStart=$exec_start" \
        test "$exec_start" = "/usr/bin/cutover-console --serve --plan /etc/cutover-console/plan.yaml"
    exec_binary="${exec_start%% *}"
    check "ExecStart names the packaged binary" test -x "$work/root$exec_binary"
    # The binary does not speak sd_notify: Type=notify would never become "started".
    check "Type=$(unit_value Type) (simple)" test "$(unit_value Type)" = simple
    sysuser="$(awk '$1 == "u" { print $2 }' "$sysusers")"
    check "User=$(unit_value User) is the sysusers.d user '$sysuser'" \
        test -n "$sysuser" -a "$(unit_value User)" = "$sysuser"
    check "WantedBy=multi-user.target (systemctl enable works)" \
        test "$(unit_value WantedBy)" = multi-user.target
    for setting in Restart=always RestartSec=2s KillSignal=SIGTERM TimeoutStopSec=30s \
        StateDirectory=cutover-console Environment=XDG_DATA_HOME=%S \
        EnvironmentFile=-/etc/cutover-console/environment NoNewPrivileges=yes \
        ProtectSystem=strict MemoryDenyWriteExecute=yes CapabilityBoundingSet= UMask=0077; do
        grep -qxF "$setting" "$unit" || fail "the unit lacks the line $setting"
    done

    # systemd-analyze verify needs ExecStart's binary to exist, and the package is not
    # installed here: it verifies a copy of the packaged unit, unchanged but for ExecStart's
    # path, rewritten into the unpacked tree (the file keeps its name: verify derives the unit
    # name from it). Most mistakes (unknown keys or sections, bad values, a typo in a system
    # call group) are only warnings with exit status 0, so any output at all is a failure.
    if command -v systemd-analyze >/dev/null; then
        mkdir -p "$work/verify"
        sed "s|^ExecStart=$exec_binary |ExecStart=$work/root$exec_binary |" "$unit" \
            >"$work/verify/cutover-console.service"
        if out="$(systemd-analyze verify --man=no "$work/verify/cutover-console.service" 2>&1)" &&
            [[ -z $out ]]; then
            ok "systemd-analyze verify: no errors, no warnings"
        else
            fail "systemd-analyze verify cutover-console.service: ${out:-non-zero exit status}"
        fi
        # The hardening, as systemd rates it (0 = locked down, 10 = exposed): 1.4 when written.
        if out="$(systemd-analyze security --offline=true --threshold=20 \
            "$work/verify/cutover-console.service" 2>&1)"; then
            ok "systemd-analyze security: ${out##*→ }"
        else
            fail "systemd-analyze security: exposure over 2.0: $(tail -n 1 <<<"$out")"
        fi
    else
        say "systemd-analyze not installed (systemd): the unit is not verified"
    fi

    # The sysusers.d file, applied to a scratch root (never to this machine).
    if command -v systemd-sysusers >/dev/null; then
        mkdir -p "$work/sysroot/etc" "$work/sysroot/usr/lib/sysusers.d"
        cp "$sysusers" "$work/sysroot/usr/lib/sysusers.d/"
        if out="$(systemd-sysusers --root="$work/sysroot" cutover-console.conf 2>&1)" &&
            grep -q "^$sysuser:x:[0-9]*:[0-9]*:[^:]*:/var/lib/cutover-console:/usr/sbin/nologin\$" \
                "$work/sysroot/etc/passwd"; then
            ok "systemd-sysusers creates $(grep "^$sysuser:" "$work/sysroot/etc/passwd")"
        else
            fail "systemd-sysusers on the packaged file: $out"
        fi
    fi
else
    fail "no unit or sysusers.d file to check"
fi

# Maintainer scripts: the unit ships disabled, so no script may enable, start or restart it.
dpkg-deb --control "$deb" "$work/control"
for script in postinst prerm postrm; do
    if [[ -x "$work/control/$script" ]] && sh -n "$work/control/$script"; then
        ok "maintainer script $script (executable, valid sh)"
    else
        fail "maintainer script $script missing, not executable or not valid sh"
    fi
done
starts="$(sed 's/#.*//' "$work/control/postinst" "$work/control/prerm" "$work/control/postrm" \
    2>/dev/null |
    grep -nE '(systemctl|deb-systemd-helper|deb-systemd-invoke|invoke-rc\.d|service)[^;&|]*[[:space:]](enable|start|restart|reenable|preset|try-restart|reload-or-restart|unmask)([[:space:]]|$)' ||
    true)"
check "no maintainer script enables or starts anything${starts:+: $starts}" test -z "$starts"
# Run postinst configure with every systemd tool replaced by a stub that only logs its
# arguments (nothing touches this machine): it must apply the sysusers.d file and do no more.
mkdir -p "$work/stubs"
for tool in systemctl systemd-sysusers deb-systemd-helper deb-systemd-invoke invoke-rc.d \
    service useradd adduser; do
    printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$tool" "$work/stubs.log" >"$work/stubs/$tool"
    chmod +x "$work/stubs/$tool"
done
: >"$work/stubs.log"
if (cd "$work" && env -i PATH="$work/stubs:/usr/bin:/bin" sh "$work/control/postinst" configure); then
    calls="$(tr '\n' ';' <"$work/stubs.log")"
    if grep -qx "systemd-sysusers cutover-console.conf" "$work/stubs.log" &&
        ! grep -v -e '^systemd-sysusers cutover-console.conf$' -e '^systemctl --system daemon-reload$' \
            "$work/stubs.log" | grep -q .; then
        ok "postinst configure calls only: ${calls:-nothing}"
    else
        fail "postinst configure called: ${calls:-nothing} (expected systemd-sysusers cutover-console.conf, at most a daemon-reload)"
    fi
else
    fail "postinst configure failed"
fi

# --- Run the installed binary from the unpacked root, with nothing from the build ---
binary="$prefix/bin/cutover-console"
if ldd "$binary" | grep -q "not found"; then
    fail "unresolved libraries: $(ldd "$binary" | grep "not found" | tr -s ' \t' ' ')"
fi
if out="$(cd "$work" && env -u LD_LIBRARY_PATH -u QT_PLUGIN_PATH "$binary" --version 2>&1)"; then
    if [[ "$out" == "cutover-console $version" ]]; then ok "--version: $out"; else fail "--version printed '$out', expected 'cutover-console $version'"; fi
else
    fail "--version failed: $out"
fi
plan="$prefix/share/cutover-console/plans/default.yaml"
if out="$(cd "$work" && env -u LD_LIBRARY_PATH -u QT_PLUGIN_PATH "$binary" --check-plan "$plan" 2>&1)"; then
    ok "--check-plan on the installed default plan: ${out//$'\n'/ }"
else
    fail "--check-plan $plan failed: $out"
fi

# --- Desktop file and metainfo ---
desktop="$prefix/share/applications/cutover-console.desktop"
if command -v desktop-file-validate >/dev/null; then
    if out="$(desktop-file-validate "$desktop" 2>&1)" && [[ -z "$out" ]]; then
        ok "desktop-file-validate"
    else
        fail "desktop-file-validate: $out"
    fi
else
    say "desktop-file-validate not installed (desktop-file-utils): checking the keys only"
fi
for key in Type=Application Name= Exec=cutover-console Icon=cutover-console Categories=; do
    grep -q "^$key" "$desktop" || fail "desktop file lacks $key"
done
exec_name="$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop")"
[[ -x "$prefix/bin/$exec_name" ]] || fail "desktop Exec '$exec_name' is not in /usr/bin"
metainfo="$prefix/share/metainfo/io.example.CutoverConsole.metainfo.xml"
grep -q "<release version=\"$version\"" "$metainfo" || fail "metainfo release is not $version"
if command -v appstreamcli >/dev/null; then
    if out="$(appstreamcli validate --no-net "$metainfo" 2>&1)"; then
        ok "appstreamcli validate"
    else
        fail "appstreamcli validate: $out"
    fi
else
    say "appstreamcli not installed (appstream): metainfo not validated"
fi

if ((failures > 0)); then
    say "$failures check(s) failed"
    exit 1
fi
say "all checks passed ($(basename "$deb"))"
