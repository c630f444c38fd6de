"""Fault-injection rules (/_cartwright/faults) through the whole stack: latency, error statuses with a probability,
dropped connections, drawn deterministically under the sandbox's seed, shown in the journal, shared by workers."""
import http.client
import logging

import pytest

from cartkit import assert_fynd_error, get_cart, served
from conftest import AUTH, BASE

from cartwright.sandbox import create_app


def rule(client, **body) -> dict:
    r = client.post("/_cartwright/faults", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def statuses(client, n: int, query: str = "user_id=u") -> list[int]:
    return [get_cart(client, query).status_code for _ in range(n)]


def faults_of(client, operation_id: str = "getCart") -> list:
    return [r.get("faults") for r in client.get(f"/_cartwright/requests?operation_id={operation_id}").json()["requests"]]


def test_rules_are_added_listed_and_removed(client):
    """A rule gets an id and is listed in order with how many requests it matched; it can be removed alone, or
    every rule at once; an unknown id is 404."""
    first = rule(client, operation_id="getCart", status=503)
    second = rule(client, latency_ms=[1, 3], probability=0.5, times=4)
    one, two = first.pop("id"), second.pop("id")   # rule-N: numbers never come round again, not even after a reset
    assert one.startswith("rule-") and two == f"rule-{int(one[5:]) + 1}"
    assert first == {"operation_id": "getCart", "status": 503, "probability": 1.0, "matched": 0}
    assert second == {"operation_id": "*", "latency_ms": [1, 3], "probability": 0.5, "times": 4, "matched": 0}
    get_cart(client, "user_id=u")
    assert [(r["id"], r["matched"]) for r in client.get("/_cartwright/faults").json()["rules"]] == [(one, 1), (two, 1)]
    assert [r["id"] for r in client.delete(f"/_cartwright/faults/{one}").json()["rules"]] == [two]
    assert_fynd_error(client.delete(f"/_cartwright/faults/{one}"), 404, one)
    assert client.delete("/_cartwright/faults").json() == {"rules": []}
    assert get_cart(client, "user_id=u").status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"operation_id": "launchRocket", "status": 500}, "operation_id"),
    ({"status": 200}, "status"), ({"status": 503, "drop": True}, "drop"), ({}, "status"),
    ({"latency_ms": [5, 1]}, "latency_ms"), ({"latency_ms": 60001}, "latency_ms"),
    ({"status": 500, "probability": 1.5}, "probability"), ({"status": 500, "times": 0}, "times"),
    ({"status": 500, "colour": "red"}, "colour"),
])
def test_a_rule_that_is_not_one_is_a_400_naming_the_field(client, body, field):
    """An unknown operation, a status that is not an error, both a status and a drop, nothing to do, a latency
    range upside down or too long, a probability over 1, zero times, an unknown field: 400 naming it."""
    assert_fynd_error(client.post("/_cartwright/faults", json=body), 400, field)
    assert client.get("/_cartwright/faults").json()["rules"] == []


def test_rules_are_capped(settings):
    """No more than max_fault_rules rules at once: one more is 429 naming the setting."""
    app = create_app(settings.replace(max_fault_rules=2))
    with app.test_client(headers=AUTH) as c:
        rule(c, status=500)
        rule(c, status=502)
        assert_fynd_error(c.post("/_cartwright/faults", json={"status": 503}), 429, "max_fault_rules")


def test_an_error_rule_answers_its_status_in_the_api_shape_and_shows_in_the_journal(client, catalog):
    """A rule with a status answers it in the API's error shape (the operation is not run) and the journal
    records which rule fired; other operations and the admin API are untouched."""
    failing = rule(client, operation_id="getCart", status=503)["id"]
    r = get_cart(client, "user_id=u")
    assert_fynd_error(r, 503, f"fault rule {failing}: injected 503")
    assert r.json()["error"] == "ServiceUnavailable"
    assert client.get(f"{BASE}/basic?id=nope").status_code == 404
    assert client.get("/_cartwright/health").status_code == 200
    assert faults_of(client) == [[{"rule": failing, "status": 503}]]


def test_draws_are_deterministic_under_the_seed(settings):
    """With a probability, which requests fail follows from the sandbox's seed and the rule: two sandboxes on the
    same seed fail the same requests, one on another seed fails others; the latency drawn in a range too."""
    def run(seed: int) -> tuple[list[int], list]:
        app = create_app(settings.replace(seed=seed, catalog_size=5))
        with app.test_client(headers=AUTH) as c:
            rule(c, operation_id="getCart", status=500, probability=0.5)
            rule(c, operation_id="getCart", latency_ms=[0, 3])
            return statuses(c, 24), [f[-1]["latency_ms"] if f[-1].get("latency_ms") else 0 for f in faults_of(c)]
    first, again, other = run(11), run(11), run(12)
    assert first == again and first != other
    assert 0 < first[0].count(500) < 24 and set(first[0]) == {200, 500}
    assert len(set(first[1])) > 1 and all(0 <= ms <= 3 for ms in first[1])


def test_times_limits_a_rule_to_the_first_requests_it_matches(client):
    """A rule with times=2 fails the first two requests it matches and then lets every one through."""
    rule(client, operation_id="getCart", status=502, times=2)
    assert statuses(client, 4) == [502, 502, 200, 200]


def test_a_rule_for_every_operation_applies_to_each_and_rules_add_up(client):
    """operation_id "*" (the default) reaches every operation of the API; a latency rule and an error rule that both
    fire are both recorded, the error answering."""
    slow = rule(client, latency_ms=1)["id"]
    failing = rule(client, status=504, operation_id="getItemCount")["id"]
    assert get_cart(client, "user_id=u").status_code == 200
    assert client.get(f"{BASE}/basic?id=x").status_code == 504
    assert faults_of(client) == [[{"rule": slow, "latency_ms": 1}]]
    assert faults_of(client, "getItemCount") == [[{"rule": slow, "latency_ms": 1}, {"rule": failing, "status": 504}]]


def test_rules_are_shared_by_workers_and_gone_after_a_reset(workers):
    """Rules are state: one added through one sandbox applies in another over the same state (in process, or on
    Redis), its count of requests matched shared too; a reset of the state removes them."""
    one, two = workers()
    with one.test_client(headers=AUTH) as a, two.test_client(headers=AUTH) as b:
        rule(a, operation_id="getCart", status=500, times=1)
        assert statuses(b, 2) == [500, 200]
        rule(b, operation_id="getCart", status=500)
        b.post("/_cartwright/reset")
        assert statuses(a, 1) == [200] and a.get("/_cartwright/faults").json()["rules"] == []


def test_a_firing_rule_shows_in_the_access_log(client, caplog):
    """The access log line of a request a rule fired on names the rule and what it did."""
    failing = rule(client, operation_id="getCart", status=503)["id"]
    with caplog.at_level(logging.INFO, logger="cartwright.access"):
        get_cart(client, "user_id=u")
    [line] = [r.getMessage() for r in caplog.records if r.name == "cartwright.access"]
    assert line.endswith(f"ms getCart (fault {failing} status=503)")


def test_a_dropped_connection_gets_no_answer(app):
    """A rule with drop closes the connection without a byte of answer (over a real socket); the journal shows
    the request as dropped, with no status, and the next connection is served."""
    with app.test_client(headers=AUTH) as c:
        dropping = rule(c, operation_id="getCart", drop=True, times=1)["id"]
    with served(app) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", f"{BASE}/detail?user_id=u", headers=AUTH)
        with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
            conn.getresponse()
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", f"{BASE}/detail?user_id=u", headers=AUTH)
        assert conn.getresponse().status == 200
        conn.close()
    with app.test_client(headers=AUTH) as c:
        dropped = c.get("/_cartwright/requests?operation_id=getCart").json()["requests"][-1]
    assert dropped["status"] is None and dropped["dropped"] is True
    assert dropped["faults"] == [{"rule": dropping, "drop": True}]


def test_rules_of_the_setting_are_in_force_from_the_start_and_after_a_reset(settings, tmp_path):
    """fault_rules (inline JSON, or a JSON file) puts rules in force from the start (start-1, ...); removed at run
    time they stay removed until a reset brings them back."""
    path = tmp_path / "rules.json"
    path.write_text('[{"operation_id": "getCart", "status": 503}]')
    for raw in ('[{"operation_id": "getCart", "status": 503}]', str(path)):
        app = create_app(settings.replace(fault_rules=raw))
        with app.test_client(headers=AUTH) as c:
            assert [(r["id"], r["status"]) for r in c.get("/_cartwright/faults").json()["rules"]] == [("start-1", 503)]
            assert statuses(c, 1) == [503]
            assert c.delete("/_cartwright/faults").status_code == 200 and statuses(c, 1) == [200]
            assert c.post("/_cartwright/reset").status_code == 200 and statuses(c, 1) == [503]


def test_rules_of_the_setting_are_in_force_after_a_reseed(settings):
    """A reseed, like a reset, serves with the rules of fault_rules in force (start-1, ...)."""
    app = create_app(settings.replace(fault_rules='[{"operation_id": "getCart", "status": 503}]'))
    with app.test_client(headers=AUTH) as c:
        assert c.delete("/_cartwright/faults").status_code == 200 and statuses(c, 1) == [200]
        assert c.post("/_cartwright/reseed", json={"seed": 3, "size": 20}).status_code == 200
        assert [r["id"] for r in c.get("/_cartwright/faults").json()["rules"]] == ["start-1"]
        assert statuses(c, 1) == [503]


def test_rules_of_the_config_file_are_in_force_from_the_start(settings, tmp_path):
    """The config file gives fault_rules as an array of TOML tables, each a rule as the admin API takes it."""
    from cartwright.sandbox import Settings

    path = tmp_path / "cartwright.toml"
    path.write_text('seed = 2026\n\n[[fault_rules]]\noperation_id = "getCart"\nstatus = 502\n')
    from_file = Settings.from_env({"CARTWRIGHT_CONFIG": str(path)})   # this mapping, not the process's variables
    app = create_app(settings.replace(fault_rules=from_file.fault_rules))
    with app.test_client(headers=AUTH) as c:
        assert [(r["id"], r["status"]) for r in c.get("/_cartwright/faults").json()["rules"]] == [("start-1", 502)]
        assert statuses(c, 2) == [502, 502]


@pytest.mark.parametrize("raw, words", [
    ('[{"operation_id": "getCart", "status": 700}]', ["fault_rules[0].status", "700"]),
    ('[{"operation_id": "nope", "drop": true}]', ["fault_rules[0].operation_id", "nope"]),
    ('{"status": 500}', ["setting fault_rules"]),
    ("/no/such/rules.json", ["setting fault_rules"]),
])
def test_a_bad_fault_rules_setting_stops_the_start_naming_it(raw, words, capsys):
    """A rule of fault_rules that is not one, or a value that is not a JSON array (or a file of one), stops
    `cartwright serve` with one line naming the setting (and the rule's field), no traceback."""
    from cartwright.sandbox._cli import main

    assert main(["serve", "--fault-rules", raw, "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and all(w in err for w in words), err


@pytest.mark.parametrize("request_kind", ["reads the state", "refused before any read", "answered by Prefer"])
def test_a_rule_added_through_one_holds_on_the_others_very_next_request(workers, request_kind):
    """A sandbox that has already read the controls (no rule) applies a rule added through another over the same
    state on its very next request, whatever that request is: one that reads the state, one whose body is
    refused before any read, one that Prefer answers; and the rule's removal holds there as soon."""
    one, two = workers()
    operation, request = {
        "reads the state": ("getCart", lambda c: get_cart(c, "user_id=u")),
        "refused before any read": ("platformAddItems", lambda c: c.post(f"{BASE}/detail", json={"items": "none"})),
        "answered by Prefer": ("getCart", lambda c: c.get(f"{BASE}/detail?user_id=u", headers={"Prefer": "code=200"})),
    }[request_kind]
    with one.test_client(headers=AUTH) as a, two.test_client(headers=AUTH) as b:
        assert statuses(b, 1) == [200]
        added = rule(a, operation_id=operation, status=503)["id"]
        assert request(b).status_code == 503
        assert a.delete(f"/_cartwright/faults/{added}").status_code in (200, 204)
        assert request(b).status_code != 503
