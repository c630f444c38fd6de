"""Serviceability of PIN codes the catalog does not list, derived from the code itself.

An Indian PIN code is six digits not starting with 0: the first is the postal region (1-2 north, 3-4 west,
5-6 south, 7-8 east, 9 the Army Postal Service), the first two the sub-region (roughly a state or postal
circle), the first three the sorting district. An integrator types their own office's code first, so every
well-formed code is served unless the catalog lists it otherwise (the catalog's entries win, which keeps
unserviceable and COD-less codes for testing those paths). For a code it does not list:

- where it is: a catalog store in the same sorting district gives its city, state and coordinates; else
  the sub-region's main city (``SUB_REGIONS``); else the region's (``REGIONS``);
- the distance (great circle, km) to the nearest catalog store sets the delivery promise: ``PROMISE_BANDS``
  gives the fewest days, the most are two more; Army Postal Service codes take ``APS_EXTRA_DAYS`` longer;
- cash on delivery within ``COD_MAX_KM`` of a store, never to the Army Postal Service.

Everything follows from the code and the catalog's stores: the same code always gets the same answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from .catalog import PinCode, Store

WELL_FORMED = re.compile(r"[1-9][0-9]{5}")

# (state, city, latitude, longitude) of each postal region and sub-region's main sorting office.
REGIONS: dict[str, tuple[str, str, float, float]] = {
    "1": ("Delhi", "Delhi", 28.61, 77.21), "2": ("Uttar Pradesh", "Lucknow", 26.85, 80.95),
    "3": ("Gujarat", "Ahmedabad", 23.02, 72.57), "4": ("Maharashtra", "Nagpur", 21.15, 79.09),
    "5": ("Telangana", "Hyderabad", 17.39, 78.49), "6": ("Tamil Nadu", "Chennai", 13.08, 80.27),
    "7": ("West Bengal", "Kolkata", 22.57, 88.36), "8": ("Bihar", "Patna", 25.59, 85.14),
    "9": ("Army Postal Service", "Field Post Office", 28.61, 77.21),
}
SUB_REGIONS: dict[str, tuple[str, str, float, float]] = {
    "11": ("Delhi", "Delhi", 28.61, 77.21), "12": ("Haryana", "Gurugram", 28.46, 77.03),
    "13": ("Haryana", "Ambala", 30.38, 76.78), "14": ("Punjab", "Ludhiana", 30.90, 75.86),
    "15": ("Punjab", "Bathinda", 30.21, 74.95), "16": ("Chandigarh", "Chandigarh", 30.73, 76.78),
    "17": ("Himachal Pradesh", "Shimla", 31.10, 77.17), "18": ("Jammu and Kashmir", "Jammu", 32.73, 74.86),
    "19": ("Jammu and Kashmir", "Srinagar", 34.08, 74.80), "20": ("Uttar Pradesh", "Aligarh", 27.88, 78.08),
    "21": ("Uttar Pradesh", "Prayagraj", 25.44, 81.85), "22": ("Uttar Pradesh", "Lucknow", 26.85, 80.95),
    "23": ("Uttar Pradesh", "Rae Bareli", 26.23, 81.23), "24": ("Uttarakhand", "Dehradun", 30.32, 78.03),
    "25": ("Uttar Pradesh", "Meerut", 28.98, 77.71), "26": ("Uttarakhand", "Nainital", 29.38, 79.46),
    "27": ("Uttar Pradesh", "Gorakhpur", 26.76, 83.37), "28": ("Uttar Pradesh", "Agra", 27.18, 78.01),
    "30": ("Rajasthan", "Jaipur", 26.91, 75.79), "31": ("Rajasthan", "Ajmer", 26.45, 74.64),
    "32": ("Rajasthan", "Kota", 25.18, 75.83), "33": ("Rajasthan", "Bikaner", 28.02, 73.31),
    "34": ("Rajasthan", "Jodhpur", 26.24, 73.02), "36": ("Gujarat", "Rajkot", 22.30, 70.80),
    "37": ("Gujarat", "Bhuj", 23.24, 69.67), "38": ("Gujarat", "Ahmedabad", 23.02, 72.57),
    "39": ("Gujarat", "Vadodara", 22.31, 73.18), "40": ("Maharashtra", "Mumbai", 19.08, 72.88),
    "41": ("Maharashtra", "Pune", 18.52, 73.86), "42": ("Maharashtra", "Nashik", 19.99, 73.79),
    "43": ("Maharashtra", "Aurangabad", 19.88, 75.34), "44": ("Maharashtra", "Nagpur", 21.15, 79.09),
    "45": ("Madhya Pradesh", "Indore", 22.72, 75.86), "46": ("Madhya Pradesh", "Bhopal", 23.26, 77.41),
    "47": ("Madhya Pradesh", "Gwalior", 26.22, 78.18), "48": ("Madhya Pradesh", "Jabalpur", 23.18, 79.99),
    "49": ("Chhattisgarh", "Raipur", 21.25, 81.63), "50": ("Telangana", "Hyderabad", 17.39, 78.49),
    "51": ("Andhra Pradesh", "Kurnool", 15.83, 78.04), "52": ("Andhra Pradesh", "Vijayawada", 16.51, 80.65),
    "53": ("Andhra Pradesh", "Visakhapatnam", 17.69, 83.22), "56": ("Karnataka", "Bengaluru", 12.97, 77.59),
    "57": ("Karnataka", "Mysuru", 12.30, 76.64), "58": ("Karnataka", "Hubballi", 15.36, 75.12),
    "59": ("Karnataka", "Belagavi", 15.85, 74.50), "60": ("Tamil Nadu", "Chennai", 13.08, 80.27),
    "61": ("Tamil Nadu", "Tiruchirappalli", 10.79, 78.70), "62": ("Tamil Nadu", "Madurai", 9.93, 78.12),
    "63": ("Tamil Nadu", "Salem", 11.66, 78.15), "64": ("Tamil Nadu", "Coimbatore", 11.02, 76.96),
    "67": ("Kerala", "Kozhikode", 11.26, 75.78), "68": ("Kerala", "Kochi", 9.93, 76.27),
    "69": ("Kerala", "Thiruvananthapuram", 8.52, 76.94), "70": ("West Bengal", "Kolkata", 22.57, 88.36),
    "71": ("West Bengal", "Howrah", 22.59, 88.26), "72": ("West Bengal", "Bardhaman", 23.23, 87.86),
    "73": ("West Bengal", "Siliguri", 26.73, 88.40), "74": ("West Bengal", "Krishnanagar", 23.40, 88.50),
    "75": ("Odisha", "Bhubaneswar", 20.30, 85.82), "76": ("Odisha", "Berhampur", 19.31, 84.79),
    "77": ("Odisha", "Sambalpur", 21.47, 83.97), "78": ("Assam", "Guwahati", 26.14, 91.74),
    "79": ("North East", "Shillong", 25.58, 91.89), "80": ("Bihar", "Patna", 25.59, 85.14),
    "81": ("Bihar", "Bhagalpur", 25.24, 86.98), "82": ("Jharkhand", "Hazaribagh", 23.99, 85.36),
    "83": ("Jharkhand", "Ranchi", 23.34, 85.31), "84": ("Bihar", "Muzaffarpur", 26.12, 85.39),
    "85": ("Bihar", "Purnia", 25.78, 87.47),
}
# (up to this many km from the nearest store, fewest days); beyond the last band, LAST_BAND_DAYS.
PROMISE_BANDS: tuple[tuple[float, int], ...] = ((50, 1), (300, 2), (800, 3))
LAST_BAND_DAYS = 4
PROMISE_SPREAD_DAYS = 2   # the most days are the fewest plus this
APS_REGION = "9"
APS_EXTRA_DAYS = 3
COD_MAX_KM = 1000.0
EARTH_RADIUS_KM = 6371.0


def well_formed(code: str) -> bool:
    """Six digits, not starting with 0."""
    return WELL_FORMED.fullmatch(code) is not None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def place_of(code: str, stores: Iterable[Store]) -> tuple[str, str, float, float]:
    """(state, city, latitude, longitude) of a well-formed code: its sorting district's store, else its
    sub-region's or region's main city."""
    for store in stores:
        if store.pincode[:3] == code[:3]:
            return store.state, store.city, float(store.latitude), float(store.longitude)
    return SUB_REGIONS.get(code[:2]) or REGIONS[code[0]]


def derived_pincode(code: str, stores: tuple[Store, ...]) -> PinCode | None:
    """The serviceability of a code the catalog does not list (None when it is not a well-formed PIN code)."""
    if not well_formed(code):
        return None
    state, city, lat, lon = place_of(code, stores)
    nearest = min((distance_km(lat, lon, float(s.latitude), float(s.longitude)) for s in stores), default=math.inf)
    fewest = next((days for limit, days in PROMISE_BANDS if nearest <= limit), LAST_BAND_DAYS)
    aps = code[0] == APS_REGION
    if aps:
        fewest += APS_EXTRA_DAYS
    return PinCode(pincode=code, city=city, state=state, serviceable=True, cod=nearest <= COD_MAX_KM and not aps,
                   promise_min_days=fewest, promise_max_days=fewest + PROMISE_SPREAD_DAYS)
