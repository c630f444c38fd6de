"""Tenancy: stock belongs to a company (shared by its applications, apart from other companies'), and EnKash
voucher carts belong to the whole bearer token."""
import pytest

from cartkit import article
from conftest import AUTH

COMPANY_1_APP_1 = "/service/platform/cart/v1.0/company/1/application/app-1"
COMPANY_1_APP_2 = "/service/platform/cart/v1.0/company/1/application/app-2"
COMPANY_2_APP_1 = "/service/platform/cart/v1.0/company/2/application/app-1"


def buy_everything(client, base, a, user="buyer"):
    """Check out every unit of article ``a`` in ``base``'s application (a pick-up order paid by card)."""
    r = client.post(f"{base}/detail", json={"user_id": user, "items": [
        {"item_id": a.item_id, "item_size": a.size, "store_id": a.store_uid, "quantity": a.stock}]})
    assert r.status_code == 200, r.text
    cart_id = r.json()["cart"]["id"]
    r = client.post(f"{base.replace('v1.0', 'v2.0')}/checkout?id={cart_id}", json={
        "id": cart_id, "user_id": user, "order_type": "PickAtStore",
        "payment_methods": [{"mode": "CARD", "payment_meta": {}}]})
    assert r.status_code == 200 and r.json()["order_id"], r.text


def can_add(client, base, a, quantity):
    r = client.post(f"{base}/detail", json={"user_id": "someone", "items": [
        {"item_id": a.item_id, "item_size": a.size, "store_id": a.store_uid, "quantity": quantity}]})
    return r.status_code, r.json()


def test_a_company_sells_its_own_stock_to_all_its_applications_and_no_other(client, catalog):
    """A company's checkout takes stock from all its applications and from no other company."""
    a = article(catalog, min_stock=2)
    buy_everything(client, COMPANY_1_APP_1, a)
    status, body = can_add(client, COMPANY_1_APP_2, a, 1)
    assert status == 400 and "0 more" in body["message"], body
    status, body = can_add(client, COMPANY_2_APP_1, a, a.stock)
    assert status == 200, body


def test_admin_catalog_shows_each_companys_stock(client, catalog):
    """The admin catalog's stock for a company is the catalog's less what that company's checkouts took."""
    a = article(catalog, min_stock=2)
    buy_everything(client, COMPANY_1_APP_1, a)

    def listed(query=""):
        listing = client.get(f"/_cartwright/catalog{query}").json()
        return next(x["stock"] for p in listing["products"] for s in p["sizes"] for x in s["articles"]
                    if x["article_id"] == a.article_id)

    assert (listed("?company_id=1"), listed("?company_id=2"), listed()) == (0, a.stock, a.stock)


def colliding_tokens() -> tuple[str, str]:
    """Two distinct tokens whose EnKash user label (30 bits) is the same."""
    from cartwright.sandbox.domain.vouchers import ek_user_id

    seen = {}
    n = 0
    while True:
        token = f"token-{n}"
        label = ek_user_id(token)
        if label in seen:
            return seen[label], token
        seen[label] = token
        n += 1


def test_voucher_carts_belong_to_the_whole_token(app):
    """Two tokens sharing an EnKash user label still have voucher carts of their own."""
    first, second = colliding_tokens()
    entry = next(iter(app.sandbox.voucher_catalog.values()))
    config = entry.configs[0]
    body = {"productCatalogId": entry.id, "items": {config.id: {"quantity": 1, "description": ""}}}
    with app.test_client() as c:
        r1 = c.post("/api/v0/cart?product=VOUCHER", json=body, headers={"Authorization": f"Bearer {first}"})
        r2 = c.post("/api/v0/cart?product=VOUCHER", json=body, headers={"Authorization": f"Bearer {second}"})
    assert r1.status_code == r2.status_code == 200, (r1.text, r2.text)
    assert r1.json()["payload"][0]["totalQuantity"] == 1
    assert r2.json()["payload"][0]["totalQuantity"] == 1
    assert r1.json()["payload"][0]["ekUserId"] == r2.json()["payload"][0]["ekUserId"]
