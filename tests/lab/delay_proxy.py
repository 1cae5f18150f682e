#!/usr/bin/python3
"""delay_proxy.py: a TCP proxy on loopback that adds a fixed delay to every round trip.

Usage: delay_proxy.py TARGET_PORT DELAY_MS [SECONDS]

Listens on 127.0.0.1 on a free port, prints that port on a line of its own, and forwards every
connection to 127.0.0.1:TARGET_PORT, holding each chunk DELAY_MS/2 in each direction (so a
request and its answer take DELAY_MS longer), in order. Loopback only, both sides. Exits after
SECONDS (default 600) or when its standard input closes, whichever comes first: a benchmark that
dies does not leave it behind.
"""

import asyncio
import sys


async def pump(reader, writer, delay_s):
    """Copies reader to writer, each chunk released delay_s after it arrived, in order."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def release():
        while True:
            due, chunk = await queue.get()
            if chunk is None:
                break
            pause = due - loop.time()
            if pause > 0:
                await asyncio.sleep(pause)
            writer.write(chunk)
            await writer.drain()
        writer.close()

    releaser = asyncio.create_task(release())
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            queue.put_nowait((loop.time() + delay_s, chunk))
    except (ConnectionError, OSError):
        pass
    queue.put_nowait((loop.time() + delay_s, None))
    try:
        await releaser
    except (ConnectionError, OSError):
        pass


async def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    target_port = int(sys.argv[1])
    delay_s = int(sys.argv[2]) / 2000.0
    lifetime = int(sys.argv[3]) if len(sys.argv) > 3 else 600

    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, server_writer, delay_s),
                             pump(server_reader, client_writer, delay_s))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = loop.create_future()

    def on_stdin():
        if not sys.stdin.buffer.read1(4096) and not stdin_closed.done():
            stdin_closed.set_result(None)

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    try:
        await asyncio.wait_for(stdin_closed, timeout=lifetime)
    except asyncio.TimeoutError:
        pass
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
