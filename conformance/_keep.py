"""The application's cart configuration, put back as it was after Schemathesis's phases.

Those phases create and update cart configurations with generated bodies (``max_cart_items: 1``,
``enabled: false``, ...). Left in place, such a configuration refuses the flows phase's adds and, against a
deployment, leaves the merchant's limits and delivery charges changed. So when a run that may write selects
``createCartMetaConfig`` or ``updateCartMetaConfig``, the configuration of the application the flows phase
uses (``--path-param company_id``/``application_id``; in process company 1, application app-1) is read
before the phases and written back by its ``_id`` after them.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator

CONFIGURATION = "/service/platform/cart/v1.0/company/{company_id}/application/{application_id}/cart_configuration"
WRITES = {"createCartMetaConfig", "updateCartMetaConfig"}


@contextlib.contextmanager
def kept_cart_configuration(client_for: Callable[[], Any], ids: dict[str, str] | None, operation_ids: set[str],
                            read_only: bool, say: Callable[[str], None]) -> Iterator[None]:
    """Around the block, keep the configuration at ``ids`` (skipped when the run cannot change it, or no
    application is known); ``client_for()`` makes an httpx-like client for the target."""
    if read_only or not WRITES & operation_ids or ids is None:
        yield
        return
    path = CONFIGURATION.format(**ids)
    with client_for() as client:
        before = client.request("GET", path)
        yield
        if before.status_code != 200 or not isinstance(before.json(), dict) or "_id" not in before.json():
            say(f"cart configuration not restored: reading it before the phases gave HTTP {before.status_code}")
            return
        doc = dict(before.json())
        config_id = doc.pop("_id")
        after = client.request("PUT", f"{path}/{config_id}", json=doc)
        if 200 <= after.status_code < 300:
            say("cart configuration restored")
        else:
            say(f"cart configuration not restored: HTTP {after.status_code}: {after.text[:200]}")
