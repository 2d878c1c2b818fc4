"""An independent client for the interop test: Python's `websockets` library talks to tickstream.

Usage: python3 python_client.py ws://127.0.0.1:PORT/?symbols=AAPL&interval=100
Prints one JSON object on stdout describing what it saw; exits non-zero on any failure.
"""
import asyncio
import json
import sys

import websockets  # python3-websockets (Debian); an ImportError here must fail the test loudly


async def main(url: str) -> dict:
    async with websockets.connect(url, open_timeout=10, close_timeout=5) as ws:
        async def receive() -> dict:
            return json.loads(await asyncio.wait_for(ws.recv(), timeout=10))

        welcome = await receive()
        snapshot = await receive()
        quotes = await receive()
        while quotes["type"] != "quotes":  # a heartbeat may come first
            quotes = await receive()
        await ws.send(json.dumps({"type": "subscribe", "symbols": ["600519.SH"], "id": 7}))
        ack = await receive()
        while ack.get("type") != "subscriptions":
            ack = await receive()
        added = await receive()
        while added.get("type") != "snapshot":
            added = await receive()
        return {
            "websockets_version": websockets.__version__,
            "welcome": welcome,
            "snapshot_symbols": [q["symbol"] for q in snapshot["quotes"]],
            "quotes_type": quotes["type"],
            "quotes_symbols": [q["symbol"] for q in quotes["quotes"]],
            "quotes_seq": [q["seq"] for q in quotes["quotes"]],
            "ack": ack,
            "added_snapshot_symbols": [q["symbol"] for q in added["quotes"]],
        }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1]))))
