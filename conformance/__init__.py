"""Cartwright's conformance kit: Schemathesis's engine holding an API to the spec, plus cart invariants.

``run_conformance(...) -> RunResult`` is the one engine (``cartwright conform`` and the pytest plugin
call it): Schemathesis's examples, coverage, fuzzing and stateful phases with the checks below, then
the kit's flows phase. Failures are data (``Finding``); ``markdown_report``, ``html_report`` and
``junit_xml`` render a result. ``KitError`` is the package's one exception (bad options, unloadable
schema, engine stopped); check failures are never raised, they are returned.

Two registries of checks, both plain data:

``CART_CHECKS``: Schemathesis 4 custom checks (registered with ``@schemathesis.check``, called as
``check(ctx, response, case)``). Each reads one response and raises ``InvariantViolated`` (a
Schemathesis ``Failure``, so an ``AssertionError``) whose ``title`` names the invariant and whose
``message`` gives the numbers. Each is silent for what it does not apply to: non-2xx answers,
bodies that are not JSON, and bodies without the fields it reads (a real deployment may omit
optional fields; absence is never a failure). Money compares with a tolerance of 0.01 per term.

- ``breakup_adds_up``: in every object of the body holding ``breakup_values.raw`` (cart detail,
  add/update results' ``cart``, checkout's cart, shared and abandoned carts, select-address,
  shipments, validate/serviceability quotes): ``coupon <= 0``;
  ``vog = mrp_total + discount + coupon`` (which follows from ``discount = subtotal − mrp_total −
  promotions − discount adjustments`` and ``vog = subtotal − promotions − |coupon| − discount
  adjustments``); ``discount <= subtotal − mrp_total`` (promotions are not negative);
  ``total = vog + delivery_charge + cod_charge (+ convenience_fee) + price-adjustment charges``
  (the charges have no raw field: they are read from the ``price_adjustment`` display line);
  ``you_saved = mrp_total − vog``; and, where the same object lists ``items`` that all carry
  ``price.base``, ``mrp_total = Σ marked`` and ``subtotal = Σ effective``.
- ``display_matches_raw``: every ``breakup_values.display`` entry whose ``key`` is a raw field
  shows the raw value.
- ``enkash_totals``: for EnKash answers (``payload`` entries), per config ``total = sellRate ×
  quantity`` and ``savings = (mrp − sellRate) × quantity``; per entry ``totalQuantity``,
  ``totalAmount`` and ``totalSavings`` are the sums over ``items``.

``FLOW_CHECKS``: invariants that need several calls, as plain functions taking an httpx-like
client (``httpx.Client``, Starlette's or Connexion's test client; ``check_item_count`` also takes
a callable ``(method, url, **kw) -> response``), the operations' base URL
(``…/company/{c}/application/{a}``) and a cart id. They return a list of ``FlowFailure`` (data:
check, operation, message, numbers), empty when the invariant holds; they change the cart and
restore it.

- ``check_item_count(call, base, cart_id)``: ``GET basic``'s ``user_cart_items_count`` is the
  sum of the quantities of ``GET detail``'s items.
- ``check_coupon_round_trip(client, base, cart_id, code)``: applying a POS coupon moves the total
  by the change in ``raw.coupon`` plus the change in delivery charge it causes, leaves
  ``mrp_total``/``subtotal`` alone, and ``breakup_values.coupon.value`` is ``−raw.coupon``;
  removing it restores every raw field.
- ``check_add_remove_round_trip(client, base, cart_id, item)``: adding ``item`` changes a line;
  undoing it (``update_item`` back to the old quantity, 0 removing a new line) restores the lines
  and every raw field.
- ``check_persisted(client, base, cart_id, item)``: what ``POST detail`` answers after adding
  ``item`` is what ``GET detail`` serves next (the change is saved); the addition is undone.
- ``check_deleted_is_gone(client, base, cart_id)``: after ``PUT cart_archive`` answers 2xx,
  ``GET detail`` answers 404 or an empty cart, not the cart's lines (destroys the cart).

The problem finders behind the response checks (``breakup_problems``, ``display_problems``,
``enkash_problems``) take a parsed body and return messages, for use outside Schemathesis.
"""

from ._engine import (
    OFF_BY_DEFAULT,
    PHASES,
    Finding,
    KitError,
    OperationResult,
    Plan,
    RunResult,
    enabled_checks,
    execute,
    prepare,
    run_conformance,
)
from ._reports import html_report, junit_xml, markdown_report
from ._checks import (
    CART_CHECKS,
    FLOW_CHECKS,
    FlowFailure,
    InvariantViolated,
    breakup_adds_up,
    breakup_problems,
    check_add_remove_round_trip,
    check_coupon_round_trip,
    check_deleted_is_gone,
    check_item_count,
    check_persisted,
    display_matches_raw,
    display_problems,
    enkash_problems,
    enkash_totals,
)

__all__ = [
    "run_conformance", "prepare", "execute", "Plan", "RunResult", "OperationResult", "Finding", "KitError", "PHASES", "OFF_BY_DEFAULT",
    "enabled_checks", "markdown_report", "html_report", "junit_xml",
    "CART_CHECKS", "FLOW_CHECKS", "FlowFailure", "InvariantViolated",
    "breakup_adds_up", "display_matches_raw", "enkash_totals",
    "breakup_problems", "display_problems", "enkash_problems",
    "check_item_count", "check_coupon_round_trip", "check_add_remove_round_trip",
    "check_persisted", "check_deleted_is_gone",
]
