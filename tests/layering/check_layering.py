#!/usr/bin/env python3
"""Fails on any #include "..." that runs against DESIGN.md's dependency rule.

The libraries' links already refuse most wrong arrows, but a header-only include (a struct, an
inline function) links fine: this reads every quoted #include under app/, models/ and ui/ and
checks it against the table below, so the rule holds even where the linker would not notice.

Usage: check_layering.py ROOT [--expect N]
  exit 0 when no include breaks the rule (or exactly N do, with --expect: the self-test on a
  tree with slips planted in it), 1 otherwise, 2 on bad usage.
"""
from __future__ import annotations

import pathlib
import re
import sys

# Which layers a layer may include (its own always). Lower layers first.
ALLOWED = {
    "app/config": set(),
    "app/net": set(),
    "app/analysis": set(),
    "app/backends": {"app/config", "app/net"},
    "app/store": {"app/config", "app/net"},
    "app/decommission": {"app/backends", "app/store", "app/config", "app/net"},
    "app/cutover": {"app/decommission", "app/backends", "app/store", "app/analysis",
                    "app/config", "app/net"},
    "app/controller": {"app/cutover", "app/decommission", "app/backends", "app/store",
                       "app/analysis", "app/config", "app/net"},
    "app/report": {"app/store", "app/config"},
    "app/cli": {"app/controller", "app/report", "app/cutover", "app/decommission",
                "app/backends", "app/store", "app/analysis", "app/config", "app/net"},
    # Views get their data through the engine: the backends' data-only *_types.h headers, never
    # a client; the window never includes the command line.
    "models": {"app/cutover", "app/decommission", "app/analysis", "app/store", "app/config"},
    "ui": {"models", "app/cutover", "app/decommission", "app/analysis", "app/store",
           "app/config", "app/report"},
    "app/main.cpp": {"app/cli", "app/config", "app/report", "ui"},
}

# Single headers a layer may include from a layer it may not otherwise use.
ALLOWED_FILES = {
    # The engine's data-only snapshot: a report shows what the engine computed, never runs it.
    "app/report": {"app/cutover/engine_snapshot.h",
                   # A pure fold of the audit log: the completion report reads the decommission
                   # from the log as the engine does.
                   "app/decommission/decommission_ledger.h"},
    "models": {"app/backends/lb_types.h", "app/backends/prometheus_types.h",
               "app/backends/haproxy_types.h"},
    "ui": {"app/backends/lb_types.h", "app/backends/prometheus_types.h",
           "app/backends/haproxy_types.h"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def layer_of(relative: str) -> str | None:
    if relative == "app/main.cpp":
        return relative
    parts = relative.split("/")
    if parts[0] == "app" and len(parts) > 2:
        return "app/" + parts[1]
    if parts[0] in ("models", "ui"):
        return parts[0]
    return None


def check(root: pathlib.Path) -> list[str]:
    problems = []
    for path in sorted(root.glob("**/*")):
        if path.suffix not in (".h", ".cpp") or not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        if relative.split("/")[0] not in ("app", "models", "ui"):
            continue
        layer = layer_of(relative)
        if layer is None:
            continue
        if layer not in ALLOWED:
            problems.append(f"{relative}:1: folder {layer} is not in the dependency rule "
                            f"(add it to tests/layering/check_layering.py and DESIGN.md)")
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, start=1):
            match = INCLUDE.match(line)
            if not match:
                continue
            included = match.group(1)
            target = layer_of(included)
            if target is None or target == layer:
                continue
            if target in ALLOWED[layer] or included in ALLOWED_FILES.get(layer, set()):
                continue
            problems.append(f"{relative}:{number}: includes \"{included}\", but {layer} may not "
                            f"depend on {target} (DESIGN.md, dependency rule)")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--expect"):
        print(__doc__, file=sys.stderr)
        return 2
    root = pathlib.Path(argv[1])
    if not (root / "app").is_dir():
        print(f"{root}: no app/ folder here", file=sys.stderr)
        return 2
    problems = check(root)
    for problem in problems:
        print(problem)
    if len(argv) == 4:
        expected = int(argv[3])
        print(f"{len(problems)} include(s) against the rule; expected {expected}")
        return 0 if len(problems) == expected else 1
    print(f"{len(problems)} include(s) against the rule")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
