"""Cartwright's conformance kit: Schemathesis's engine holding an API to the spec, plus cart invariants.

``run_conformance(...) -> RunResult`` is the one engine (``cartwright conform`` and the pytest plugin
call it): Schemathesis's examples, coverage, fuzzing and stateful phases with the checks below, then
the kit's flows phase (``_flows``); before and after, ``_tidy`` puts back what the run changed. A run
passes only when it tested something and nothing failed: an operation with schema-valid requests and not
one 2xx answer, a run where every answer was 401/403, and a phase asked for that could not run all fail
it; what was not run is reported as not run. Failures are data (``Finding``); ``markdown_report``,
``html_report`` and ``junit_xml`` render a result. ``KitError`` is the package's one exception (bad
options, unloadable schema, engine stopped); check failures are never raised, they are returned.

Two registries of checks, both plain data:

``CART_CHECKS``: Schemathesis 4 custom checks (registered with ``@schemathesis.check``, called as
``check(ctx, response, case)``). Each reads one response and raises ``InvariantViolated`` (a
Schemathesis ``Failure``, so an ``AssertionError``) whose ``title`` names the invariant and whose
``message`` gives the numbers. Each is silent for what it does not apply to: non-2xx answers and
bodies that are not JSON. The arithmetic checks are silent where a field they read is absent; which
fields must be there is ``documented_fields_present``'s business. Money compares with a tolerance of
0.01 per term.

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
- ``documented_fields_present``: the fields ``DOCUMENTED_FIELDS`` lists for the operation (the cart
  ``id``, items' ``identifiers``, ``breakup_values.raw.total`` when the breakup was asked for,
  ``success``, ``order_id``, ...: what the documents show and a client reads) are in its 2xx answer.
  The captured Fynd response schemas mark no field required, so nothing else notices a dropped one.

``FLOW_CHECKS``: invariants that need several calls, as plain functions taking an httpx-like
client (``httpx.Client``, Starlette's or Connexion's test client; ``check_item_count`` also takes
a callable ``(method, url, **kw) -> response``), the operations' base URL
(``…/company/{c}/application/{a}``) and the ids they work on. They return a list of ``FlowFailure``
(data: check, operation, message, numbers), empty when the invariant holds; they change the cart and
restore it, unless they say they destroy something.

- ``check_item_count(call, base, cart_id)``: ``GET basic``'s ``user_cart_items_count`` is the
  sum of the quantities of ``GET detail``'s items.
- ``check_count_follows_changes(client, base, cart_id, item)``: the same, after each change: adding
  ``item``, raising that line's quantity, removing it again (a count read once and served again is
  caught at the first change).
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
  ``GET detail?id=`` answers 404: not the cart, and not an empty cart standing in for it (destroys
  the cart). ``check_address_deleted``, ``check_coupon_deleted``, ``check_promotion_deleted``: the
  same for ``DELETE address/{id}``, ``coupon/{id}``, ``promotion/{id}`` and a read by the id;
  ``check_adjustment_deleted``: after ``DELETE price-adjustment/{id}`` the cart's list lacks it and a
  second delete is 404 (the API reads no single adjustment).
- ``check_checkout(client, base, cart_id, user_id, address_id, payment_mode, item, stock)``: selects
  the address and payment mode and places the order (v2): an order id comes back, the order's total is
  the cart's total just before, each article's stock went down by the units ordered (when ``stock``
  can read it), a repeat answers the same order and takes nothing more, and the closed cart refuses
  writes. Places a real order.

The problem finders behind the response checks (``breakup_problems``, ``display_problems``,
``enkash_problems``, ``documented_field_problems``) take a parsed body and return messages, for use
outside Schemathesis.
"""

from ._checks import (
    CART_CHECKS,
    DOCUMENTED_FIELDS,
    FLOW_CHECKS,
    FlowFailure,
    InvariantViolated,
    breakup_adds_up,
    breakup_problems,
    check_add_remove_round_trip,
    check_address_deleted,
    check_adjustment_deleted,
    check_checkout,
    check_count_follows_changes,
    check_coupon_deleted,
    check_coupon_round_trip,
    check_deleted_is_gone,
    check_item_count,
    check_persisted,
    check_promotion_deleted,
    display_matches_raw,
    display_problems,
    documented_field_problems,
    documented_fields_present,
    enkash_problems,
    enkash_totals,
)
from ._engine import (
    APP_WIDE_WRITES,
    KIT_APPLICATION_ID,
    OFF_BY_DEFAULT,
    ORDERS,
    PHASES,
    Finding,
    KitError,
    OperationResult,
    Plan,
    RunResult,
    enabled_checks,
    execute,
    histogram,
    prepare,
    run_conformance,
)
from ._reports import html_report, junit_xml, markdown_report

__all__ = [
    "run_conformance", "prepare", "execute", "Plan", "RunResult", "OperationResult", "Finding", "KitError", "PHASES",
    "OFF_BY_DEFAULT", "APP_WIDE_WRITES", "ORDERS", "KIT_APPLICATION_ID", "histogram",
    "enabled_checks", "markdown_report", "html_report", "junit_xml",
    "CART_CHECKS", "FLOW_CHECKS", "DOCUMENTED_FIELDS", "FlowFailure", "InvariantViolated",
    "breakup_adds_up", "display_matches_raw", "enkash_totals", "documented_fields_present",
    "breakup_problems", "display_problems", "enkash_problems", "documented_field_problems",
    "check_item_count", "check_count_follows_changes", "check_coupon_round_trip", "check_add_remove_round_trip",
    "check_persisted", "check_deleted_is_gone", "check_address_deleted", "check_coupon_deleted",
    "check_promotion_deleted", "check_adjustment_deleted", "check_checkout",
]
