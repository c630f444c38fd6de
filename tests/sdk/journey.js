// The Fynd Platform Cart API as a real client drives it: the official JavaScript SDK
// (@gofynd/fdk-client-javascript, pinned by package-lock.json) against a sandbox, through every cart
// operation its platform cart client exposes, in the order a storefront and a merchant use them.
// tests/test_sdk_journey.py starts the sandbox and runs: node journey.js <base URL>
// (the EnKash voucher request to send is in the ENKASH_REQUEST environment variable).
//
// The SDK checks each request (it throws FDKClientValidationError, or warns about unknown
// parameters) and each response (it warns "Response Validation Warnings"). Every such complaint,
// every answer that is not the status a step expects, and every exception is counted. The report,
// one JSON object, is the last line written to stdout.
"use strict";

const { PlatformClient } = require("@gofynd/fdk-client-javascript");
const { log } = require("@gofynd/fdk-client-javascript/sdk/common/Logger");
const CartClient = require("@gofynd/fdk-client-javascript/sdk/platform/Cart/CartPlatformApplicationClient");

const BASE_URL = process.argv[2];
const COMPANY = "1";
const APPLICATION = "sdk-journey";
const TOKEN = "sdk-journey-token";
const OFFICE_PIN = "560038"; // Bengaluru: not in the catalog's PIN code list, served all the same

// ---------------------------------------------------------------------------- what the SDK says
const complaints = []; // validation warnings, each with the step it came from
let current = null; // the step running now
const baseFactory = log.methodFactory;
log.methodFactory = (name, level, logger) => {
  const write = baseFactory(name, level, logger);
  return (...args) => {
    if (name !== "warn") return; // errors are the non-2xx answers, counted by the steps themselves
    let detail = String(args[0]);
    try {
      detail = JSON.parse(args[0]).detail;
    } catch (_) {
      /* not the SDK's JSON line */
    }
    complaints.push({ step: current, detail: String(detail).slice(0, 2000) });
    if (process.env.SDK_JOURNEY_VERBOSE) write(...args);
  };
};

// The platform client takes its OAuth token from the platform; the sandbox takes any bearer token, so the
// journey gives the client a fixed one (setToken without a refresh token: no renewal timer, no token call).
const client = new PlatformClient({
  companyId: COMPANY,
  apiKey: "sandbox",
  apiSecret: "sandbox",
  domain: BASE_URL,
  logLevel: "WARN",
});
client.setToken({ access_token: TOKEN, expires_in: 24 * 3600 });
const cart = client.application(APPLICATION).cart;

// ---------------------------------------------------------------------------- steps
const steps = [];

async function step(method, args, { expect = 200, why = "" } = {}) {
  current = method;
  const record = { method, expect, why };
  try {
    record.status = 200;
    record.body = await cart[method](args);
  } catch (err) {
    if (err.name === "FDKServerResponseError" && typeof err.code === "number") {
      record.status = err.code;
      record.body = err.details;
    } else {
      record.status = null;
      record.exception = `${err.name}: ${err.message}`.slice(0, 2000);
    }
  }
  // The SDK resolves every 2xx with the body alone: 200 stands for any of them.
  record.ok = record.exception === undefined && (expect === 200 ? record.status === 200 : record.status === expect);
  steps.push(record);
  current = null;
  return record.body || {};
}

async function http(method, path, body) {
  const response = await fetch(BASE_URL + path, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const lineIds = (c) => (c.items || []).map((i) => i.identifiers.identifier);
const total = (c) => c.breakup_values.raw.total;
const schedule = { status: "approved", start: "2026-01-01T00:00:00.000Z", end: "2030-12-31T23:59:59.000Z" };

function couponBody(code, status = "approved") {
  return {
    code,
    type_slug: "percentage",
    display_meta: { title: `SDK ${code}`, subtitle: "5% off", description: "Made by the SDK journey" },
    rule_definition: { type: "percentage", applicable_on: "amount", calculate_on: "esp", auto_apply: false },
    rule: [{ key: 1, value: 5, max: 300 }],
    ownership: { payable_category: "seller", payable_by: "seller" },
    state: { is_archived: false, is_display: true, is_public: true },
    _schedule: { ...schedule, status },
  };
}

function promotionBody(code, status = "approved") {
  return {
    code,
    promo_group: "product",
    mode: "promotion",
    promotion_type: "percentage",
    application_id: APPLICATION,
    apply_priority: 9,
    stackable: true,
    display_meta: { name: `SDK ${code}`, offer_text: "Buy more, save more", description: "Tiers" },
    ownership: { payable_category: "seller", payable_by: "seller" }, // the SDK expects it back in lists
    discount_rules: [
      { discount_type: "percentage", buy_condition: "( rule#1 )",
        item_criteria: { all_items: true, cart_quantity: { greater_than_equals: 2 } },
        offer: { discount_percentage: 2 } },
      { discount_type: "percentage", buy_condition: "( rule#2 )",
        item_criteria: { all_items: true, cart_quantity: { greater_than_equals: 4 } },
        offer: { discount_percentage: 4 } },
    ],
    buy_rules: { all_items: true },
    _schedule: { ...schedule, status },
  };
}

async function journey() {
  // Catalog: what can be bought (the sandbox's admin API, plain HTTP).
  const catalog = (await http("GET", "/_cartwright/catalog")).body;
  const stocked = [];
  for (const p of catalog.products) {
    for (const s of p.sizes) {
      const article = s.articles.find((a) => a.stock >= 6);
      if (article && !stocked.some((x) => x.item_id === p.item_id)) {
        stocked.push({ item_id: p.item_id, size: s.size, article });
      }
    }
  }
  const [a, b, c, d] = stocked;
  const item = (x, quantity) => ({ item_id: x.item_id, item_size: x.size, quantity });

  // Cart: add, read, update, count; its meta; the application's carts.
  let added = await step("platformAddItems", {
    b: true, i: true, body: { user_id: "asha", items: [item(a, 2), item(b, 1)] },
  });
  const cartId = added.cart.id;
  await step("getCart", { id: cartId, b: true, i: true });
  const [lineA] = lineIds(added.cart);
  await step("platformUpdateCart", {
    id: cartId, b: true, body: { user_id: "asha", operation: "update_item",
      items: [{ identifiers: { identifier: lineA }, quantity: 3, item_id: a.item_id, item_size: a.size }] },
  });
  await step("getItemCount", { id: cartId });
  await step("updateCartMeta", { id: cartId, body: { comment: "Leave at the gate", checkout_mode: "self" } });
  await step("getCartList", {});
  const quoteItems = [{ product_id: String(c.item_id), size: c.size, quantity: 1 }];
  await step("fetchAndvalidateCartItems", { body: { cart_items: quoteItems } });
  await step("checkCartServiceability", {
    body: { cart_items: quoteItems, shipping_address: { area_code: OFFICE_PIN, city: "Bengaluru" } },
  });

  // Coupons: create, list, read, change, check a code, the kinds; apply to the cart, validate, remove.
  const couponId = (await step("createCoupon", { body: couponBody("SDKFIVE") }))._id;
  await step("getCoupons", { pageNo: 0, pageSize: 10 });
  await step("getCouponById", { id: couponId });
  await step("updateCoupon", { id: couponId, body: { ...couponBody("SDKFIVE"), rule: [{ key: 1, value: 6, max: 300 }] } });
  await step("getCouponCodeExists", { code: "SDKFIVE" });
  await step("getPromosCouponConfig", { entityType: "coupon" });
  await step("getAppCoupons", { id: cartId });
  await step("applyCoupon", { id: cartId, b: true, body: { coupon_code: "SDKFIVE" } });
  await step("validateCouponForPayment", { id: cartId, paymentMode: "CARD" });
  await step("removeCoupon", { uid: cartId });
  await step("applyCoupon", { id: cartId, b: true, body: { coupon_code: "SDKFIVE" } });
  const draftCoupon = (await step("createCoupon", { body: couponBody("SDKDRAFT", "draft") }))._id;
  await step("deleteCoupon", { id: draftCoupon });

  // Promotions: a tiered one (two discount rules), listed, read, changed; what the cart and payments get.
  await step("createPromotion", { body: promotionBody("SDKTIERS") });
  const promotions = await step("getPromotions", { pageNo: 0, pageSize: 20, q: "SDKTIERS" });
  const promotionId = ((promotions.items || [])[0] || {})._id;
  await step("getPromotionById", { id: promotionId });
  await step("updatePromotion", { id: promotionId, body: promotionBody("SDKTIERS") });
  await step("getPromotionCodeExists", { code: "SDKTIERS" });
  await step("getPromotionOffers", { pageSize: 5 });
  await step("getPromotionPaymentOffers", { id: cartId });
  await step("createPromotion", { body: promotionBody("SDKDRAFT", "draft") });
  const draftPromotion = ((await step("getPromotions", { q: "SDKDRAFT", isActive: false })).items || [])[0] || {};
  await step("deletePromotion", { id: draftPromotion._id });

  // A price adjustment: added, listed, changed, removed.
  const adjustment = {
    cart_id: cartId, type: "discount", value: 20, message: "Goodwill", article_level_distribution: false,
    is_authenticated: true, collection: { refund_by: "seller", collected_by: "seller" },
    article_ids: [{ article_id: a.article.article_id }],
  };
  const adjustmentId = ((await step("addPriceAdjustment", { body: adjustment })).data || [{}])[0].id;
  await step("getPriceAdjustments", { cartId });
  await step("updatePriceAdjustment", { id: adjustmentId, body: { ...adjustment, value: 25 } });
  await step("removePriceAdjustment", { id: adjustmentId });

  // Address (the integrator's own office PIN code), selected; shipments, delivery modes, the store.
  const address = {
    user_id: "asha", name: "Asha Rao", phone: "9876543210", email: "asha@example.com", area_code: OFFICE_PIN,
    address: "12 CMH Road", area: "Indiranagar", city: "Bengaluru", state: "Karnataka", country: "India",
  };
  const addressId = (await step("addAddress", { body: address })).id;
  await step("getAddresses", { userId: "asha" });
  await step("getAddressById", { id: addressId, userId: "asha" });
  await step("updateAddress", { id: addressId, body: { ...address, landmark: "Near the metro" } });
  const oldAddress = (await step("addAddress", { body: { ...address, address: "4 Old Airport Road" } })).id;
  await step("removeAddress", { id: oldAddress, userId: "asha" });
  await step("selectAddress", { cartId, b: true, body: { id: addressId, cart_id: cartId, user_id: "asha" } });
  const shipments = await step("getShipments", { id: cartId, i: true });
  const articleId = ((shipments.shipments || [])[0] || { articles: [{}] }).articles[0].article_id;
  await step("updateShipments", {
    id: cartId, i: true, body: { shipments: [{ article_uid: articleId, shipment_type: "single_shipment" }] },
  });
  await step("getAvailableDeliveryModes", { areaCode: OFFICE_PIN, id: cartId });
  await step("getStoreAddressByUid", { storeUid: a.article.store_id });

  // Payment mode: v1 (cash on delivery), then v2 with the amount the cart will be charged.
  await step("selectPaymentMode", { id: cartId, body: { id: cartId, address_id: addressId, payment_mode: "COD" } });
  const priced = await step("getCart", { id: cartId, b: true });
  await step("selectPaymentModeV2", {
    id: cartId, body: { id: cartId, address_id: addressId, payment_mode: "COD",
      payment_methods: [{ mode: "COD", amount: total(priced), payment_meta: {} }] },
  });

  // Share and merge: Asha shares her cart; Ravi's cart takes the shared items; Ravi's cart goes to Meera.
  const share = await step("getCartShareLink", { body: { id: cartId, meta: { channel: "whatsapp" } } });
  await step("getCartSharedItems", { token: share.token });
  const raviCart = (await step("platformAddItems", { body: { user_id: "ravi", items: [item(c, 1)] } })).cart.id;
  await step("updateCartWithSharedItems", { token: share.token, action: "merge", cartId: raviCart });
  await step("updateCartUser", { id: raviCart, body: { user_id: "meera" } });

  // Checkout: v2 on Asha's cart, v1 (open API, items in the body), and override on Meera's cart.
  const finalCart = await step("getCart", { id: cartId, b: true });
  await step("platformCheckoutCartV2", {
    id: cartId, body: { id: cartId, user_id: "asha", address_id: addressId, order_type: "HomeDelivery",
      payment_mode: "COD", payment_methods: [{ mode: "COD", amount: total(finalCart), payment_meta: {} }] },
  });
  const quote = await step("checkCartServiceability", {
    body: { cart_items: quoteItems, shipping_address: { area_code: OFFICE_PIN } },
  });
  const due = total(quote);
  const line = quote.items[0];
  const paid = [{ mode: "CARD", amount: due }];
  await step("checkoutCart", {
    body: {
      cart_value: due, cashback_applied: 0, coupon_code: "", coupon_value: 0, delivery_charges: 0, cod_charges: 0,
      payment_methods: paid, billing_address: { area_code: OFFICE_PIN }, shipping_address: { area_code: OFFICE_PIN },
      cart_items: [{
        product_id: c.item_id, size: c.size, quantity: 1, price_effective: line.price_per_unit.base.effective,
        price_marked: line.price_per_unit.base.marked, amount_paid: due, discount: 0, cod_charges: 0,
        delivery_charges: 0, cashback_applied: 0, coupon_effective_discount: 0, payment_methods: paid,
      }],
    },
  });
  await step("overrideCart", {
    body: {
      cart_id: raviCart, payment_mode: "CARD", merchant_code: "SDK", payment_identifier: "sdk-txn-1",
      currency_code: "INR", aggregator: "Sandbox", order_type: "HomeDelivery",
      cart_items: [{ item_id: d.item_id, size: d.size, quantity: 1, price_marked: d.article.marked,
        price_effective: d.article.effective, amount_paid: d.article.effective, discount: 0 }],
    },
  });

  // Abandoned carts: the merchant's list, one cart's detail, adding to it and changing it; archiving.
  const kiranCart = (await step("platformAddItems", { body: { user_id: "kiran", items: [item(b, 1)] } })).cart;
  await step("getAbandonedCart", { pageNo: 0, pageSize: 10 });
  await step("getAbandonedCartDetails", { id: kiranCart.id, b: true });
  await step("addItems", { cartId: kiranCart.id, b: true, body: { items: [item(c, 1)] } });
  await step("updateCart", {
    cartId: kiranCart.id, b: true,
    body: { operation: "update_item", items: [{ identifiers: { identifier: lineIds(kiranCart)[0] }, quantity: 2 }] },
  });
  await step("deleteCart", { id: kiranCart.id, body: { cart_id_list: [] } });

  // Cart configuration: the application's default, a configuration of its own, and the default again.
  const defaults = await step("fetchCartMetaConfig", {});
  const { _id: configId, ...defaultDoc } = defaults;
  await step("createCartMetaConfig", { body: { ...defaultDoc, max_cart_items: 50, gift_display_text: "Gift wrap" } });
  await step("updateCartMetaConfig", { cartMetaId: configId, body: defaultDoc });

  // Operations the SDK has and the document does not: the sandbox answers as the document says (no such operation).
  const notDocumented = "not in the API document: the sandbox has no such operation";
  await step("getCouponOptionValues", {}, { expect: 404, why: notDocumented });
  await step("updateCouponPartially", { id: couponId, body: { archive: true } }, { expect: 405, why: notDocumented });
  await step("updatePromotionPartially", { id: promotionId, body: { archive: true } },
    { expect: 405, why: notDocumented });
  await step("platformCheckoutCart", {
    id: raviCart, body: { id: raviCart, payment_mode: "CARD", order_type: "HomeDelivery" },
  }, { expect: 404, why: notDocumented });

  // EnKash's voucher add-to-cart, plain HTTP (it is not a Fynd API).
  const voucher = await http("POST", "/api/v0/cart?product=VOUCHER", JSON.parse(process.env.ENKASH_REQUEST));
  steps.push({ method: "addVoucherToCart (HTTP)", expect: 200, status: voucher.status,
    ok: voucher.status === 200 && voucher.body.response_code === 0, body: voucher.body });
}

(async () => {
  let crashed = null;
  try {
    await journey();
  } catch (err) {
    crashed = `${err.name}: ${err.message}\n${err.stack}`.slice(0, 4000);
  }
  const offered = Object.getOwnPropertyNames(CartClient.prototype).filter((m) => m !== "constructor");
  const called = new Set(steps.map((s) => s.method));
  const report = {
    sdk_version: require("@gofynd/fdk-client-javascript/package.json").version,
    steps: steps.map(({ body, ...rest }) => rest),
    complaints,
    failed: steps.filter((s) => !s.ok).map(({ body, ...rest }) => ({ ...rest, answer: JSON.stringify(body || null).slice(0, 1000) })),
    offered,
    not_called: offered.filter((m) => !called.has(m)),
    crashed,
  };
  process.stdout.write("\n" + JSON.stringify(report) + "\n");
})();
