"""The spec as the sandbox serves it (``/openapi.json``, ``/openapi.yaml``, read by Swagger UI at ``/ui/``).

Connexion serves each API's spec with its ``$ref``s resolved inline (2.1 MB for the cart API, deep-copied
on every request) and its ``servers`` replaced by the bare base path (``[{"url": ""}]``: an empty Servers
list in Swagger UI). The sandbox serves the document as written instead, with one server: the address the
spec was fetched from (the scheme and host the request named, plus the base path), so "Try it out" calls
this sandbox, on whatever host and port it runs and behind a proxy's path prefix. Routing still takes the
base path from the spec's own ``servers`` (``http://127.0.0.1:8080``: none), as before.
"""

from __future__ import annotations

from connexion.middleware.swagger_ui import SwaggerUIAPI, SwaggerUIMiddleware


class SpecServingAPI(SwaggerUIAPI):
    """Connexion's spec and Swagger UI routes of one API, serving the spec as written with this sandbox as its
    server."""

    def _spec_for_prefix(self, request) -> dict:
        base_path = self._base_path_for_prefix(request)
        origin = f"{request.url.scheme}://{request.url.netloc}"
        return {**self.specification.raw,
                "servers": [{"url": origin + base_path, "description": "this sandbox"}]}


class SpecServingSwaggerUIMiddleware(SwaggerUIMiddleware):
    """Connexion's Swagger UI middleware, serving each API's spec through ``SpecServingAPI``."""

    def add_api(self, specification, base_path: str | None = None, arguments: dict | None = None,
                **kwargs) -> None:
        # SwaggerUIMiddleware.add_api, with the sandbox's API class.
        api = SpecServingAPI(specification, base_path=base_path, arguments=arguments, default=self.default_fn,
                             **kwargs)
        self.router.mount(api.base_path, app=api.router)
