"""Child process of the ingest benchmark: drain a durable pull consumer as fast as possible.

Reads ``<nats_url> <stream> <durable> <messages>`` from argv, fetches in batches, acks every
message (double-acked at the end so the server has them all), and prints the wall-clock time
(unix seconds) of the last ack, so the parent can time publish-start → last ack.
"""

from __future__ import annotations

import asyncio
import sys
import time

import nats
from nats.errors import TimeoutError as NatsTimeoutError


async def drain(url: str, stream: str, durable: str, expected: int) -> float:
    nc = await nats.connect(url)
    js = nc.jetstream()
    sub = await js.pull_subscribe_bind(durable, stream)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    done = 0
    while done < expected:
        try:
            msgs = await sub.fetch(500, timeout=1.0)
        except (TimeoutError, NatsTimeoutError):
            continue
        for msg in msgs[:-1]:
            await msg.ack()
        await msgs[-1].ack_sync()
        done += len(msgs)
    finished = time.time()
    await nc.drain()
    return finished


def main() -> None:
    url, stream, durable, expected = sys.argv[1:5]
    finished = asyncio.run(drain(url, stream, durable, int(expected)))
    sys.stdout.write(f"{finished}\n")


if __name__ == "__main__":
    main()
