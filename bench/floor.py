"""The floor: what one process on this machine serves with no work at all.

A bare Starlette app under the same uvicorn as the sandbox (uvloop and httptools when installed),
answering the benchmark's two requests (GET and POST …/detail) with one fixed body, the sandbox's own
get-cart answer, read from the file named by CARTWRIGHT_FLOOR_BODY. Started by run.py: ``floor.py PORT``.

With CARTWRIGHT_FLOOR_WORK_US set, each request first keeps the CPU busy for that many microseconds
of the thread's own CPU time (not wall time: when wrk takes the CPU away, the work waits, as real
work does):
a server whose only cost per request is known, to see what latency that cost gives on this machine
(``run.py --calibrate``).

Like the sandbox, it is served by ``sandbox/web/server.py`` (each answer written in one piece, the
same HTTP limits) and serves requests that wait together in the order they arrived
(``sandbox/web/arrival.py``) unless CARTWRIGHT_ARRIVAL_ORDER is false, so that the two differ only in
the work they do.
"""

import os
import sys
import time

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from cartwright.sandbox import Settings
from cartwright.sandbox.web.arrival import ArrivalOrder
from cartwright.sandbox.web.server import serve

with open(os.environ["CARTWRIGHT_FLOOR_BODY"], "rb") as f:
    BODY = f.read()
WORK_S = float(os.environ.get("CARTWRIGHT_FLOOR_WORK_US", "0")) / 1e6


async def cart(request):
    await request.body()
    if WORK_S:
        until = time.thread_time() + WORK_S
        while time.thread_time() < until:  # busy, as a handler computing is: no await, no sleep
            pass
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/service/platform/cart/v1.0/company/{company_id}/application/{application_id}/detail",
                              cart, methods=["GET", "POST"])])
if Settings.from_env().arrival_order:
    app = ArrivalOrder(app)

if __name__ == "__main__":
    raise SystemExit(serve(app, Settings.from_env().replace(host="127.0.0.1", port=int(sys.argv[1]),
                                                            log_level="warning")))
