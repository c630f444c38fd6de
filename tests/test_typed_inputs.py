"""The domain takes typed inputs: no service the sandbox wires takes the API's JSON (a dict or a Mapping)."""

import inspect
import typing
from collections.abc import Mapping

from cartwright.sandbox.domain import (addresses, adjustments, cart, cart_config, catalog, checkout, inputs, offer_book,
                                      offers, runtime, sharing, state)

SERVICES = (addresses.AddressBook, addresses.CartAddresses, adjustments.Adjustments, cart.CartService,
            cart_config.CartConfigs, checkout.Checkout, offer_book.OfferBook, sharing.Sharing)
# Free-form fields the API echoes back untouched (the domain never reads into them): a share's meta.
OPAQUE = {("Sharing", "share", "meta")}


def _takes_json(annotation) -> bool:
    """Whether an annotation is, or holds, a dict or a Mapping (list[dict], dict | None, ...)."""
    origin = typing.get_origin(annotation) or annotation
    if inspect.isclass(origin) and issubclass(origin, (dict, Mapping)):
        return True
    return any(_takes_json(arg) for arg in typing.get_args(annotation))


def test_public_service_methods_take_no_dicts():
    """Every public method of the wired domain services takes typed inputs, not dicts or Mappings from the API."""
    found = []
    for service in SERVICES:
        for name, method in inspect.getmembers(service, inspect.isfunction):
            if name.startswith("_"):
                continue
            names = {}   # the modules' own names and those they import only for the type checker
            for module in (state, runtime, catalog, cart, offers, inputs, inspect.getmodule(method)):
                names.update(vars(module))
            hints = typing.get_type_hints(method, names)
            hints.pop("return", None)
            found += [f"{service.__name__}.{name}({param})" for param, hint in hints.items()
                      if _takes_json(hint) and (service.__name__, name, param) not in OPAQUE]
    assert found == [], f"domain methods taking API JSON: {found}"
