"""The seeded EnKash voucher catalog: brands' e-gift cards with their denominations (product configs).

The entry the EnKash document's example uses (``DOCUMENTED``) is included as the document gives it,
so the documented call works against a fresh sandbox; the others come from Faker and a
``random.Random``, both seeded explicitly.
"""

from __future__ import annotations

import json
import random
import string
from typing import Any

from faker import Faker

# From the EnKash "Add to cart" example (../shared/seeds/000_*.txt), figures and texts as given.
DOCUMENTED: dict[str, Any] = {'productCatalogId': 'PC7513531244A681',
 'name': 'Aldo E-Gift Card - Generic',
 'logoUrl': 'https://imagesbox.enkash.in/IMAGES/amazon_gift_card.png',
 'termsAndCondition': 'This is an Aldo E-Gift Card issued by Major Brands India Pvt Limited which would be '
                      'accepted at listed Aldo outlets.<br/>The person who has the Aldo E-Gift Card is '
                      'deemed to be the beneficiary.<br/>Do inform the cashier that you plan to use the '
                      'E-Gift Card for making payments before billing.<br/>Only the listed Aldo outlets at '
                      'its sole discretion accept the E-Gift Card. Major Brands may add or remove an outlet '
                      'without giving any prior notice.<br/>More than one E-Gift Card can be used in one '
                      'bill and can be used during sale.<br/>This is a ONE time use E-Gift Card and is valid '
                      'for a period of 6 months.<br/>No Credit note / Refund for the unused amount of the '
                      'E-Gift Card will be given.<br/>Aldo E-Gift card CANNOT be revalidated once '
                      'expired.<br/>Any dispute related to the Aldo E-Gift Card should be referred to the '
                      'issuing company and the decision of the issuing company shall be final.<br/>Please '
                      'contact Shop manager for any acceptance issue and if issue is still not resolved, you '
                      'can write in to support@woohoo.in for immediate help.',
 'howToRedeem': "<ul><li>Open the voucher on your phone - via email or under the 'purchases' section of the "
                'app</li><li>Show the voucher to the merchant when you visit</li><li>The merchant will '
                'verify the voucher and redeem it on your app</li></ul>',
 'productConfigs': [{'productConfigId': 'PCN424863322N4Z7V',
                     'mrp': 5000,
                     'sellRate': 4900,
                     'enkashDiscount': 2,
                     'maxQuantity': 5,
                     'customAmountEnabled': False},
                    {'productConfigId': 'PCN093912878V0AS6',
                     'mrp': 1000,
                     'sellRate': 980,
                     'enkashDiscount': 2,
                     'maxQuantity': 5,
                     'customAmountEnabled': False},
                    {'productConfigId': 'PCN751457389RC1ST',
                     'mrp': 100,
                     'sellRate': 98,
                     'enkashDiscount': 2,
                     'maxQuantity': 5,
                     'customAmountEnabled': False},
                    {'productConfigId': 'PCN233451126S5CZC',
                     'mrp': 500,
                     'sellRate': 490,
                     'enkashDiscount': 2,
                     'maxQuantity': 5,
                     'customAmountEnabled': False}]}

BRANDS = ("Westside", "Croma", "Lifestyle", "Myntra", "Shoppers Stop", "Tanishq", "Pantaloons", "BookMyShow",
          "Nykaa", "Bata", "Decathlon", "Titan")
DENOMINATIONS = (100, 250, 500, 1000, 2000, 5000)
ALNUM = string.ascii_uppercase + string.digits


def _code(rng: random.Random, prefix: str, digits: int, tail: int) -> str:
    return prefix + "".join(rng.choice(string.digits) for _ in range(digits)) + "".join(
        rng.choice(ALNUM) for _ in range(tail))


def generate_vouchers(seed: int, size: int = 8) -> list[dict[str, Any]]:
    """``size`` generated catalog entries after the documented one; same seed, same list."""
    rng = random.Random(seed)
    fake = Faker("en_IN")
    fake.seed_instance(seed)
    entries = [json.loads(json.dumps(DOCUMENTED))]
    for brand in rng.sample(BRANDS, min(size, len(BRANDS))):
        discount = rng.choice((1, 2, 3, 4, 5))
        configs = []
        for mrp in sorted(rng.sample(DENOMINATIONS, rng.randint(2, 4))):
            configs.append({"productConfigId": _code(rng, "PCN", 9, 5), "mrp": mrp,
                            "sellRate": mrp - mrp * discount // 100, "enkashDiscount": discount,
                            "maxQuantity": rng.choice((5, 10)), "customAmountEnabled": False})
        slug = brand.lower().replace(" ", "_")
        entries.append({
            "productCatalogId": _code(rng, "PC", 10, 4),
            "name": f"{brand} E-Gift Card",
            "logoUrl": f"https://imagesbox.enkash.in/IMAGES/{slug}_gift_card.png",
            "termsAndCondition": "<br/>".join([
                f"This is a {brand} E-Gift Card, accepted at listed {brand} outlets and online.",
                f"Valid for {rng.choice((6, 12))} months from the date of issue.",
                fake.sentence(nb_words=12), "No refund for the unused amount."]),
            "howToRedeem": "<ul><li>" + "</li><li>".join([
                "Open the voucher from your email", f"Show it at a {brand} store or enter it at checkout",
                fake.sentence(nb_words=8)]) + "</li></ul>",
            "productConfigs": configs,
        })
    return entries


def dump_vouchers(entries: list[dict[str, Any]]) -> str:
    return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
