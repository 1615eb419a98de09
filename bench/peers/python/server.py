"""Python `websockets` peer for `make bench`: /ws broadcasts every message to every /ws client
(the sender too), /echo echoes. Usage: python3 server.py PORT"""
import asyncio
import sys

import websockets

clients = set()


async def handler(ws):
    path = ws.request.path if hasattr(ws, "request") else ws.path
    if path != "/echo":  # broadcasts go to the /ws clients only, as in the other servers
        clients.add(ws)
    try:
        async for msg in ws:
            if path == "/echo":
                await ws.send(msg)
            else:
                websockets.broadcast(clients, msg)
    finally:
        clients.discard(ws)


async def main():
    async with websockets.serve(handler, "127.0.0.1", int(sys.argv[1]), max_size=2**20):
        print("listening", flush=True)
        await asyncio.Future()


asyncio.run(main())
