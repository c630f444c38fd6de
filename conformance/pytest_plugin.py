"""The kit as a pytest plugin (entry point ``cartwright``, loaded whenever the package is installed).

Options choose the target, like ``cartwright conform``'s: ``--cartwright-base-url`` (absent: an
in-process sandbox), ``--cartwright-token``, ``--cartwright-header 'NAME: VALUE'``,
``--cartwright-path-param NAME=VALUE``, ``--cartwright-seed``, ``--cartwright-max-examples``; and the
known-good values and permissions a run against a URL needs: ``--cartwright-cart-item ITEM_ID:SIZE[:STORE]``
(twice), ``--cartwright-coupon CODE``, ``--cartwright-area-code PIN``, ``--cartwright-allow-writes``,
``--cartwright-allow-orders``.

Fixtures (session-scoped):

- ``cartwright``: a ``KitTarget``; ``cartwright.run(**options)`` runs the whole kit and returns the
  ``RunResult`` (assert ``.ok``; ``markdown_report`` explains a failure), ``cartwright.plan(**options)``
  prepares a run without sending anything. A run asked for something it cannot do (``phases="flows"``
  without known items against a URL, say) is not ``ok``: its ``errors`` say what to pass.
- ``cartwright_schema``: the Schemathesis schema configured as the kit configures it (its checks,
  cart invariants included, headers, fixed path parameters, seed). Parametrise a suite over it::

      import schemathesis

      schema = schemathesis.pytest.from_fixture("cartwright_schema")

      @schema.parametrize()
      def test_api(case):
          case.call_and_validate()  # Schemathesis's checks plus the cart invariants
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from ._engine import Plan, RunResult, execute, prepare
from ._flows import parse_cart_item


def _pairs(values: list[str], sep: str, option: str) -> dict[str, str]:
    out = {}
    for text in values:
        if sep not in text:
            raise pytest.UsageError(f"{option} must look like NAME{sep}VALUE, got {text!r}")
        name, value = text.split(sep, 1)
        out[name.strip()] = value.strip()
    return out


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cartwright", "Cartwright conformance kit")
    group.addoption("--cartwright-base-url", help="deployment to test; absent: an in-process sandbox")
    group.addoption("--cartwright-token", help="bearer token (in process default: 'sandbox')")
    group.addoption("--cartwright-header", action="append", default=[], metavar="'NAME: VALUE'",
                    help="extra request header (repeatable)")
    group.addoption("--cartwright-path-param", action="append", default=[], metavar="NAME=VALUE",
                    help="fixed path parameter, e.g. company_id=1 (repeatable)")
    group.addoption("--cartwright-seed", type=int, default=None, help="seed (default: random)")
    group.addoption("--cartwright-max-examples", type=int, default=None, help="examples per operation")
    group.addoption("--cartwright-cart-item", action="append", default=[], metavar="ITEM_ID:SIZE[:STORE_ID]",
                    help="an item the deployment sells, for generated add-to-cart requests and the flows (give two)")
    group.addoption("--cartwright-coupon", action="append", default=[], metavar="CODE",
                    help="a coupon code for the flows' coupon round trip (repeatable)")
    group.addoption("--cartwright-area-code", default=None, metavar="PIN",
                    help="a PIN code the deployment delivers to, for the address and checkout flows")
    group.addoption("--cartwright-allow-writes", action="store_true",
                    help="against a URL, also change application-wide settings (put back at the end)")
    group.addoption("--cartwright-allow-orders", action="store_true", help="against a URL, also place orders")


@dataclass
class KitTarget:
    """What the pytest options chose; every run and plan starts from these and may override any option."""

    defaults: dict[str, Any] = field(default_factory=dict)

    def plan(self, **options: Any) -> Plan:
        return prepare(**{**self.defaults, **options})

    def run(self, **options: Any) -> RunResult:
        progress = options.pop("progress", None)
        return execute(self.plan(**options), progress)


@pytest.fixture(scope="session")
def cartwright(request: pytest.FixtureRequest) -> KitTarget:
    """The kit's target, from the ``--cartwright-*`` options."""
    opt = request.config.getoption
    defaults: dict[str, Any] = {
        "base_url": opt("--cartwright-base-url"),
        "token": opt("--cartwright-token"),
        "headers": _pairs(opt("--cartwright-header"), ":", "--cartwright-header"),
        "path_params": _pairs(opt("--cartwright-path-param"), "=", "--cartwright-path-param"),
        "seed": opt("--cartwright-seed"),
    }
    if opt("--cartwright-max-examples") is not None:
        defaults["max_examples"] = opt("--cartwright-max-examples")
    try:
        defaults["cart_items"] = [parse_cart_item(text) for text in opt("--cartwright-cart-item")]
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from exc
    defaults.update(coupons=opt("--cartwright-coupon"), area_code=opt("--cartwright-area-code"),
                    allow_writes=opt("--cartwright-allow-writes"), allow_orders=opt("--cartwright-allow-orders"))
    return KitTarget(defaults)


@pytest.fixture(scope="session")
def cartwright_schema(cartwright: KitTarget):
    """A Schemathesis schema configured by the kit, for ``schemathesis.pytest.from_fixture``."""
    return cartwright.plan().schema
