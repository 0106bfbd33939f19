"""The baseline: a minimal ASGI app that serves stored bytes and does nothing else.

HTTP: the stored response for the path (404 otherwise). Websocket: accept, send the stored
frame, then wait for the close. See common.bare_server.
"""

import os
import pickle
from pathlib import Path

_store = pickle.loads(Path(os.environ["BARE_RESPONSES"]).read_bytes())
RESPONSES = _store["responses"]
FRAME = _store["frame"]
NOT_FOUND = (404, [(b"content-type", b"text/plain")], b"not found")


async def app(scope, receive, send):
    if scope["type"] == "http":
        status, headers, body = RESPONSES.get(scope["path"], NOT_FOUND)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": FRAME})
        while (await receive())["type"] != "websocket.disconnect":
            pass
    elif scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
