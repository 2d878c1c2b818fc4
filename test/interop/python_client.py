"""Interop peer: Python's `websockets` (the library the article uses) as a client against tickstream.

Usage: python_client.py ws://127.0.0.1:PORT/ deflate|plain
Prints one JSON object with the results; the Node test asserts on it.
"""
import asyncio
import json
import sys

import websockets


async def main(url, compression):
    results = {"version": websockets.version.version}
    async with websockets.connect(url, compression=compression, max_size=32 * 1024 * 1024) as ws:
        results["extensions"] = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        echoes = []
        for size in [0, 125, 126, 65535, 65536, 16 * 1024 * 1024]:
            payload = bytes([size % 256]) * size
            await ws.send(payload)
            back = await ws.recv()
            echoes.append([size, isinstance(back, bytes) and back == payload])
        results["binary"] = echoes
        await ws.send("price = 299.9 贵州茅台")
        results["text"] = await ws.recv()
        await ws.send(["frag", "men", "ted"])  # one message in three fragments
        results["fragmented"] = await ws.recv()
        pong_waiter = await ws.ping(b"hb")
        await asyncio.wait_for(pong_waiter, 5)
        results["pong"] = True
        await ws.close(4003, "python done")
        results["close_code"] = ws.close_code
    print(json.dumps(results))


asyncio.run(asyncio.wait_for(main(sys.argv[1], "deflate" if sys.argv[2] == "deflate" else None), 60))
