"""The floor: what one process on this machine serves with no work at all.

A bare Starlette app under the same uvicorn as the sandbox (uvloop and httptools when installed),
answering the benchmark's two requests (GET and POST …/detail) with one fixed body, the sandbox's own
get-cart answer, read from the file named by CARTWRIGHT_FLOOR_BODY. Started by run.py: ``floor.py PORT``.
"""

import os
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

with open(os.environ["CARTWRIGHT_FLOOR_BODY"], "rb") as f:
    BODY = f.read()


async def cart(request):
    await request.body()
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/service/platform/cart/v1.0/company/{company_id}/application/{application_id}/detail",
                              cart, methods=["GET", "POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
