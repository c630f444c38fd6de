"""The seeded catalog generator: realistic Indian fashion retail data from Faker.

``generate_catalog(seed, size)`` returns a catalog in the file format
(``cartwright.catalog/1``, see ``sandbox/catalog.schema.json``);
``dump_catalog`` turns it into canonical JSON text. Every random choice comes
from one ``random.Random(seed)`` and one ``Faker("en_IN")`` seeded with
``seed_instance(seed)``: no global random state and no clock, so the same
seed and size give byte-identical text (for a given Faker version).

This is the only module that imports Faker; ``sandbox.domain`` never does.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

from faker import Faker

from ..domain.catalog import FORMAT

__all__ = ["DEFAULT_SEED", "DEFAULT_SIZE", "generate_catalog", "dump_catalog"]

DEFAULT_SEED = 2026
DEFAULT_SIZE = 40  # number of products

N_SELLERS = 3
N_STORES = 8
N_BRANDS = 8
N_PINCODES = 30

SELLER_UID0 = 1001
STORE_UID0 = 11001
BRAND_UID0 = 201
CATEGORY_UID0 = 301
PRODUCT_UID0 = 7500001

# City -> (state, store-code prefix, centre latitude, centre longitude, [(area, PIN)]).
# The PIN codes are the real ones for those localities.
STORE_CITIES: dict[str, tuple[str, str, float, float, list[tuple[str, str]]]] = {
    "Mumbai": ("Maharashtra", "MUM", 19.0760, 72.8777, [
        ("Andheri West", "400058"), ("Bandra West", "400050"), ("Powai", "400076"),
        ("Lower Parel", "400013"), ("Colaba", "400005")]),
    "Delhi": ("Delhi", "DEL", 28.6139, 77.2090, [
        ("Connaught Place", "110001"), ("Karol Bagh", "110005"), ("Saket", "110017"),
        ("Lajpat Nagar", "110024"), ("Dwarka", "110075")]),
    "Bengaluru": ("Karnataka", "BLR", 12.9716, 77.5946, [
        ("Malleshwaram", "560003"), ("Koramangala", "560034"), ("Indiranagar", "560038"),
        ("Jayanagar", "560041"), ("Whitefield", "560066")]),
    "Chennai": ("Tamil Nadu", "MAA", 13.0827, 80.2707, [
        ("Mylapore", "600004"), ("T. Nagar", "600017"), ("Adyar", "600020"),
        ("Anna Nagar", "600040"), ("Velachery", "600042")]),
    "Kolkata": ("West Bengal", "CCU", 22.5726, 88.3639, [
        ("Park Street", "700016"), ("Ballygunge", "700019"), ("Alipore", "700027"),
        ("Gariahat", "700029"), ("Salt Lake", "700091")]),
    "Pune": ("Maharashtra", "PNQ", 18.5204, 73.8567, [
        ("Koregaon Park", "411001"), ("Aundh", "411007"), ("Viman Nagar", "411014"),
        ("Kothrud", "411038"), ("Hinjewadi", "411057")]),
    "Hyderabad": ("Telangana", "HYD", 17.3850, 78.4867, [
        ("Secunderabad", "500003"), ("Gachibowli", "500032"), ("Jubilee Hills", "500033"),
        ("Banjara Hills", "500034"), ("Madhapur", "500081")]),
}

# Delivery-only PIN codes: (PIN, city, state).
OTHER_PINCODES: list[tuple[str, str, str]] = [
    ("380009", "Ahmedabad", "Gujarat"),
    ("302001", "Jaipur", "Rajasthan"),
    ("226001", "Lucknow", "Uttar Pradesh"),
    ("682011", "Kochi", "Kerala"),
    ("160017", "Chandigarh", "Chandigarh"),
    ("452001", "Indore", "Madhya Pradesh"),
    ("462001", "Bhopal", "Madhya Pradesh"),
    ("781001", "Guwahati", "Assam"),
    ("751001", "Bhubaneswar", "Odisha"),
    ("641001", "Coimbatore", "Tamil Nadu"),
]

# Remote PIN codes: always some of these in the catalog, and never serviceable.
REMOTE_PINCODES: list[tuple[str, str, str]] = [
    ("194101", "Leh", "Ladakh"),
    ("744101", "Port Blair", "Andaman and Nicobar Islands"),
    ("737101", "Gangtok", "Sikkim"),
    ("682555", "Kavaratti", "Lakshadweep"),
]

LANDMARKS = [
    "Near Metro Station", "Opp. City Centre Mall", "Next to HDFC Bank", "Behind Central Park",
    "Near Bus Depot", "Opp. Railway Station", "Above Cafe Coffee Day", "Near Post Office",
    "Beside Big Bazaar", "Opp. Municipal Garden",
]

SELLER_KINDS = ["Retail", "Lifestyle", "Fashions", "Trading", "Apparels"]

BRAND_NAMES = [
    "Urban Loom", "Kora Threads", "Saffron Street", "Indigo Nest", "Monsoon Mill",
    "Banyan & Co", "Peacock Lane", "Deccan Denim", "Tusker Trail", "Marigold",
    "Ganga Weave", "Chai Stride",
]

APPAREL = ["S", "M", "L", "XL", "XXL"]
WAIST = ["28", "30", "32", "34", "36", "38"]
SHOE = ["6", "7", "8", "9", "10", "11"]
ONE_SIZE = ["OS"]

# name, singular noun, GST %, size run, price range in hundreds (marked = h*100 - 1),
# adjectives, materials.
CATEGORIES: list[dict[str, Any]] = [
    {"name": "T-Shirts", "noun": "T-Shirt", "gst": 5, "sizes": APPAREL, "price": (5, 15),
     "styles": ["Crew Neck", "V-Neck", "Polo", "Graphic Print", "Oversized"],
     "materials": ["Cotton", "Organic Cotton", "Cotton Blend"]},
    {"name": "Shirts", "noun": "Shirt", "gst": 12, "sizes": APPAREL, "price": (10, 30),
     "styles": ["Slim Fit", "Regular Fit", "Checked", "Striped", "Mandarin Collar"],
     "materials": ["Linen", "Cotton", "Oxford"]},
    {"name": "Jeans", "noun": "Jeans", "gst": 12, "sizes": WAIST, "price": (13, 35),
     "styles": ["Slim Fit", "Straight Fit", "Tapered", "Relaxed Fit", "Distressed"],
     "materials": ["Stretch Denim", "Denim", "Raw Denim"]},
    {"name": "Kurtas", "noun": "Kurta", "gst": 5, "sizes": APPAREL, "price": (8, 25),
     "styles": ["Straight", "A-Line", "Block Print", "Embroidered", "Nehru Collar"],
     "materials": ["Cotton", "Khadi", "Silk Blend", "Rayon"]},
    {"name": "Sneakers", "noun": "Sneakers", "gst": 18, "sizes": SHOE, "price": (20, 60),
     "styles": ["Low-Top", "High-Top", "Running", "Slip-On", "Court"],
     "materials": ["Canvas", "Mesh", "Leather", "Suede"]},
    {"name": "Sandals", "noun": "Sandals", "gst": 12, "sizes": SHOE, "price": (6, 20),
     "styles": ["Kolhapuri", "Strappy", "Sports", "Flip-Flop", "Slide"],
     "materials": ["Leather", "Rubber", "Synthetic"]},
    {"name": "Watches", "noun": "Watch", "gst": 18, "sizes": ONE_SIZE, "price": (15, 90),
     "styles": ["Analog", "Chronograph", "Digital", "Minimalist", "Field"],
     "materials": ["Steel", "Leather Strap", "Silicone Strap"]},
    {"name": "Backpacks", "noun": "Backpack", "gst": 18, "sizes": ONE_SIZE, "price": (10, 40),
     "styles": ["Laptop", "Travel", "Daypack", "Rolltop", "Anti-Theft"],
     "materials": ["Nylon", "Polyester", "Canvas"]},
]

GENDERED = {"T-Shirts", "Shirts", "Jeans", "Kurtas", "Sneakers", "Sandals"}

# Canonical key order of each record kind in the file.
KEY_ORDER: dict[str, tuple[str, ...]] = {
    "": ("format", "seed", "size", "currency", "sellers", "brands", "categories", "stores",
         "products", "articles", "pincodes"),
    "currency": ("code", "symbol"),
    "sellers": ("uid", "name"),
    "brands": ("uid", "name"),
    "categories": ("uid", "name"),
    "stores": ("uid", "name", "store_code", "seller_uid", "address", "area", "landmark", "city",
               "state", "country", "pincode", "latitude", "longitude", "phone", "email",
               "manager_name"),
    "products": ("uid", "name", "slug", "item_code", "brand_uid", "category_uids", "images",
                 "sizes", "gst_percent", "tags"),
    "articles": ("article_id", "item_id", "size", "store_uid", "seller_uid", "seller_identifier",
                 "marked", "effective", "stock"),
    "pincodes": ("pincode", "city", "state", "serviceable", "cod", "promise_min_days",
                 "promise_max_days"),
}


def slugify(text: str) -> str:
    """Lowercase, apostrophes dropped, other runs of non-alphanumerics become one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "")).strip("-")


def ean13(rng: random.Random) -> str:
    """An EAN-13 with India's GS1 prefix 890 and a correct check digit."""
    body = "890" + "".join(str(rng.randrange(10)) for _ in range(9))
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _marked_price(rng: random.Random, lo: int, hi: int) -> int:
    return rng.randint(lo, hi) * 100 - 1  # 499, 1299, 1999 ...


def _effective_price(rng: random.Random, marked: int) -> int:
    if rng.random() < 0.35:
        return marked
    off = rng.randint(10, 60)
    return marked * (100 - off) // 100


def generate_catalog(seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE) -> dict[str, Any]:
    """A catalog of ``size`` products in the file format, determined by ``seed`` alone."""
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    rng = random.Random(seed)
    fake = Faker("en_IN")
    fake.seed_instance(seed)

    # Sellers.
    sellers: list[dict[str, Any]] = []
    used_surnames: set[str] = set()  # the surname alone names the seller's stores
    for i in range(N_SELLERS):
        while True:
            surname = fake.last_name()
            if surname not in used_surnames and " " not in surname:
                break
        used_surnames.add(surname)
        sellers.append({"uid": SELLER_UID0 + i, "name": f"{surname} {rng.choice(SELLER_KINDS)} Pvt. Ltd."})

    # Stores: spread round-robin over a shuffled choice of cities, one area each.
    cities = sorted(STORE_CITIES)
    rng.shuffle(cities)
    cities = cities[: rng.randint(5, len(cities))]
    free_areas = {c: list(STORE_CITIES[c][4]) for c in cities}
    city_count: dict[str, int] = {}
    stores: list[dict[str, Any]] = []
    for i in range(N_STORES):
        city = cities[i % len(cities)]
        state, code, lat0, lon0, _ = STORE_CITIES[city]
        area, pincode = free_areas[city].pop(rng.randrange(len(free_areas[city])))
        city_count[city] = city_count.get(city, 0) + 1
        seller = sellers[i % N_SELLERS] if i < N_SELLERS else rng.choice(sellers)
        seller_word = seller["name"].split()[0]
        store_code = f"{code}{city_count[city]:02d}"
        stores.append({
            "uid": STORE_UID0 + i,
            "name": f"{seller_word} {area}",
            "store_code": store_code,
            "seller_uid": seller["uid"],
            "address": f"{fake.building_number()}, {fake.street_name()}, {area}",
            "area": area,
            "landmark": rng.choice(LANDMARKS),
            "city": city,
            "state": state,
            "country": "India",
            "pincode": pincode,
            "latitude": round(lat0 + rng.uniform(-0.05, 0.05), 6),
            "longitude": round(lon0 + rng.uniform(-0.05, 0.05), 6),
            "phone": fake.numerify(f"+91 {rng.choice('6789')}#########"),
            "email": f"{store_code.lower()}@{slugify(seller_word)}-stores.example.com",
            "manager_name": fake.name(),
        })

    # Brands and categories.
    brand_names = rng.sample(BRAND_NAMES, N_BRANDS)
    brands: list[dict[str, Any]] = [{"uid": BRAND_UID0 + i, "name": n} for i, n in enumerate(brand_names)]
    categories = [{"uid": CATEGORY_UID0 + i, "name": c["name"]} for i, c in enumerate(CATEGORIES)]

    # Products and their articles.
    products = []
    articles = []
    slugs: set[str] = set()
    item_codes: set[str] = set()
    article_ids: set[str] = set()
    for n in range(size):
        uid = PRODUCT_UID0 + n
        cat_i = rng.randrange(len(CATEGORIES))
        cat = CATEGORIES[cat_i]
        brand = rng.choice(brands)
        gender = rng.choice(["Men", "Women"]) if cat["name"] in GENDERED else None
        style = rng.choice(cat["styles"])
        material = rng.choice(cat["materials"])
        colour = fake.safe_color_name().title()
        words = [brand["name"]]
        if gender:
            words.append(f"{gender}'s")
        words += [style, colour, material, cat["noun"]]
        name = " ".join(words)

        base = slugify(name)
        slug, k = base, 2
        while slug in slugs:
            slug, k = f"{base}-{k}", k + 1
        slugs.add(slug)

        prefix = "".join(w[0] for w in brand["name"].replace("&", "").split()).upper()
        while True:
            item_code = f"{prefix}-{cat['name'][:3].upper()}-{rng.randint(10000, 99999)}"
            if item_code not in item_codes:
                break
        item_codes.add(item_code)

        run = cat["sizes"]
        if len(run) > 1:
            first = rng.randint(0, len(run) - 3)
            last = rng.randint(first + 2, len(run) - 1)
            sizes = run[first: last + 1]
        else:
            sizes = list(run)

        images = [
            f"https://cdn.example.com/cartwright/products/{uid}/{slug}-{i}.jpg"
            for i in range(1, rng.randint(1, 4) + 1)
        ]
        tags = [slugify(cat["name"])]
        if gender:
            tags.append(gender.lower())
        tags.append(slugify(material))
        if rng.random() < 0.25:
            tags.append("new-arrival")

        products.append({
            "uid": uid,
            "name": name,
            "slug": slug,
            "item_code": item_code,
            "brand_uid": brand["uid"],
            "category_uids": [categories[cat_i]["uid"]],
            "images": images,
            "sizes": list(sizes),
            "gst_percent": cat["gst"],
            "tags": tags,
        })

        marked = _marked_price(rng, *cat["price"])
        sold_in = sorted(rng.sample(stores, rng.randint(1, 3)), key=lambda s: s["uid"])
        effective_at = {s["uid"]: _effective_price(rng, marked) for s in sold_in}
        for sz in sizes:
            barcode = ean13(rng)  # one barcode per product size, shared by every store
            for store in sold_in:
                while True:
                    article_id = f"{rng.getrandbits(96):024x}"
                    if article_id not in article_ids:
                        break
                article_ids.add(article_id)
                articles.append({
                    "article_id": article_id,
                    "item_id": uid,
                    "size": sz,
                    "store_uid": store["uid"],
                    "seller_uid": store["seller_uid"],
                    "seller_identifier": barcode,
                    "marked": marked,
                    "effective": effective_at[store["uid"]],
                    "stock": 0 if rng.random() < 0.2 else rng.randint(1, 25),
                })
    # Make sure both out-of-stock and in-stock articles exist whenever possible.
    if len(articles) >= 2:
        if all(a["stock"] > 0 for a in articles):
            rng.choice(articles[1:])["stock"] = 0
        if all(a["stock"] == 0 for a in articles):
            articles[0]["stock"] = rng.randint(1, 25)
    elif articles[0]["stock"] == 0:
        articles[0]["stock"] = rng.randint(1, 25)

    # PIN codes: every store's, two to four remote ones (unserviceable), then
    # other localities to make up the count.
    store_pins = {s["pincode"] for s in stores}
    pool = [(pin, city, STORE_CITIES[city][0])
            for city in sorted(STORE_CITIES) for _, pin in STORE_CITIES[city][4]]
    pool += OTHER_PINCODES
    remote = rng.sample(REMOTE_PINCODES, rng.randint(2, len(REMOTE_PINCODES)))
    unserviceable = {p[0] for p in remote}
    chosen = [p for p in pool if p[0] in store_pins] + remote
    others = [p for p in pool if p[0] not in store_pins]
    chosen += rng.sample(others, N_PINCODES - len(chosen))
    chosen.sort()
    pincodes = []
    for pin, city, state in chosen:
        if pin in unserviceable:
            pincodes.append({"pincode": pin, "city": city, "state": state, "serviceable": False,
                             "cod": False, "promise_min_days": 0, "promise_max_days": 0})
            continue
        lo = rng.randint(1, 3)
        hi = rng.randint(max(3, lo + 1), 7)
        pincodes.append({"pincode": pin, "city": city, "state": state, "serviceable": True,
                         "cod": rng.random() < 0.8, "promise_min_days": lo, "promise_max_days": hi})

    return {
        "format": FORMAT,
        "seed": seed,
        "size": size,
        "currency": {"code": "INR", "symbol": "₹"},
        "sellers": sellers,
        "brands": brands,
        "categories": categories,
        "stores": stores,
        "products": products,
        "articles": articles,
        "pincodes": pincodes,
    }


def _ordered(record: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """The record with its known keys in ``order`` and any others after them, sorted."""
    keys = [k for k in order if k in record] + sorted(k for k in record if k not in order)
    return {k: record[k] for k in keys}


def dump_catalog(data: dict[str, Any]) -> str:
    """Canonical JSON text: two-space indent, UTF-8 as is, fixed key order, final newline."""
    top = _ordered(data, KEY_ORDER[""])
    for key, value in top.items():
        if key in KEY_ORDER and isinstance(value, dict):
            top[key] = _ordered(value, KEY_ORDER[key])
        elif key in KEY_ORDER and isinstance(value, list):
            top[key] = [_ordered(r, KEY_ORDER[key]) if isinstance(r, dict) else r for r in value]
    return json.dumps(top, indent=2, ensure_ascii=False) + "\n"
