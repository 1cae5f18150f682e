#!/usr/bin/python3
"""On a terminal, --hash-passphrase asks for the passphrase without echoing it.

Runs the console on a pseudo-terminal (the pty module), waits for the prompt (a read with a
deadline, not a sleep), types the passphrase, and checks that what the terminal showed never
contains it, that the prompt was shown, and that the entry was written. Then the same with the
passphrase on a pipe: no prompt at all. Usage: passphrase_no_echo.py CONSOLE_BINARY
"""
import os
import pty
import select
import subprocess
import sys
import tempfile
import time

SECRET = b"tty-secret-passphrase-42"
DEADLINE_S = 30


def read_until(fd, needle, deadline):
    seen = b""
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            return seen, False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            return seen, needle in seen
        if not chunk:
            return seen, needle in seen
        seen += chunk
    return seen, True


def main():
    console = sys.argv[1]
    with tempfile.TemporaryDirectory() as folder:
        operators = os.path.join(folder, "operators.json")
        args = [console, "--hash-passphrase", "--operator", "zed", "--roles", "release_manager",
                "--operators-file", operators]
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(console, args, env)
        deadline = time.monotonic() + DEADLINE_S
        shown, prompted = read_until(fd, b"New passphrase for zed: ", deadline)
        if not prompted:
            os.kill(pid, 9)
            print("no prompt on the terminal; it showed:", shown)
            return 1
        os.write(fd, SECRET + b"\n")
        rest, done = read_until(fd, b"added operator zed", deadline)
        shown += rest
        _, status = os.waitpid(pid, 0)
        print("terminal showed:", shown)
        if not done or os.waitstatus_to_exitcode(status) != 0:
            print("the operator was not added")
            return 1
        if SECRET in shown:
            print("FAIL: the passphrase was echoed")
            return 1
        if not os.path.exists(operators) or SECRET in open(operators, "rb").read():
            print("FAIL: the operators file is missing or holds the passphrase")
            return 1

        # From a pipe: nothing prompted (scripts feed it), the entry is replaced.
        piped = subprocess.run(args, input=SECRET + b"\n", capture_output=True, env=env,
                               timeout=DEADLINE_S)
        if piped.returncode != 0 or b"New passphrase" in piped.stderr + piped.stdout:
            print("FAIL: from a pipe:", piped.returncode, piped.stdout, piped.stderr)
            return 1
    print("OK: no echo on a terminal, no prompt from a pipe")
    return 0


if __name__ == "__main__":
    sys.exit(main())
