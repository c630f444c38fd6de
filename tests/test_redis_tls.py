"""The shared state over TLS (rediss://), through the whole stack, on Debian's redis-server started with TLS only
(``--port 0 --tls-port N``) and certificates made for the run by trustme: a CA, the server's (for 127.0.0.1), a
client's. What the URL's ssl_* options say is applied: the CA trusted, the client certificate presented, the host
name checked or not; a server the URL does not trust is a 503 in Fynd's error shape."""
import ssl
from types import SimpleNamespace

import pytest
import trustme

from cartkit import add, article, assert_fynd_error, get_cart
from conftest import AUTH
from rediskit import fresh_prefix, redis_server


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """The run's certificate files: the CA, the server's and a client's (issued by it), and a stranger CA's."""
    folder = tmp_path_factory.mktemp("certs")
    ca, stranger = trustme.CA(), trustme.CA()
    server, client = ca.issue_cert("127.0.0.1"), ca.issue_cert("cartwright-test-client")
    files = SimpleNamespace(**{name: folder / f"{name}.pem" for name in (
        "ca", "stranger_ca", "server_cert", "server_key", "client_cert", "client_key")})
    ca.cert_pem.write_to_path(str(files.ca))
    stranger.cert_pem.write_to_path(str(files.stranger_ca))
    server.cert_chain_pems[0].write_to_path(str(files.server_cert))
    server.private_key_pem.write_to_path(str(files.server_key))
    client.cert_chain_pems[0].write_to_path(str(files.client_cert))
    client.private_key_pem.write_to_path(str(files.client_key))
    files.ping_context = ssl.create_default_context()   # trusts the CA, presents the client's: the start's PING
    ca.configure_trust(files.ping_context)
    client.configure_cert(files.ping_context)
    return files


def tls_server(folder, certs, auth_clients: str):
    """A redis-server on a TLS-only port with the server certificate; ``auth_clients``: --tls-auth-clients."""
    return redis_server(folder, tls=certs.ping_context, options=(
        "--tls-cert-file", str(certs.server_cert), "--tls-key-file", str(certs.server_key),
        "--tls-ca-cert-file", str(certs.ca), "--tls-auth-clients", auth_clients))


@pytest.fixture(scope="module")
def tls_url(tmp_path_factory, certs):
    """The rediss:// URL (no options) of a TLS redis-server that asks clients for no certificate."""
    with tls_server(tmp_path_factory.mktemp("redis-tls"), certs, "no") as url:
        yield url


def app_on(settings, state: str, prefix: str):
    from cartwright.sandbox import create_app

    return create_app(settings.replace(state=state, state_prefix=prefix, state_timeout_seconds=2))


def cart_made_and_read_back(settings, state: str) -> None:
    """A cart added to through one app on ``state``, read back through another (its own connections)."""
    prefix = fresh_prefix("tls")
    writer = app_on(settings, state, prefix)
    with writer.test_client(headers=AUTH) as c:
        a = article(writer.sandbox.catalog, min_stock=2)
        made = add(c, [(a, 2)])
        assert made.status_code == 200, made.text
    with app_on(settings, state, prefix).test_client(headers=AUTH) as c:
        cart = get_cart(c).json()
    assert cart["id"] == made.json()["cart"]["id"]
    assert [(i["article"]["uid"], i["quantity"]) for i in cart["items"]] == [(a.article_id, 2)]


def test_a_cart_is_made_and_read_back_over_tls_with_the_urls_ca(settings, tls_url, certs):
    """A cart made through one app on rediss://…?ssl_ca_certs=<the server's CA> is read back through another."""
    cart_made_and_read_back(settings, f"{tls_url}?ssl_ca_certs={certs.ca}")


def test_a_server_whose_certificate_is_not_trusted_is_a_503(settings, tls_url, certs):
    """A server whose certificate the URL's CA did not issue is a 503 in Fynd's error shape, naming the check."""
    app = app_on(settings, f"{tls_url}?ssl_ca_certs={certs.stranger_ca}", fresh_prefix("tls"))
    with app.test_client(headers=AUTH) as c:
        r = add(c, [(article(app.sandbox.catalog), 1)])
    assert_fynd_error(r, 503, "Redis", "cannot be reached", "certificate verify failed")


def test_the_host_name_is_checked_unless_the_url_says_not_to(settings, tls_url, certs):
    """Reached by a name its certificate lacks (localhost), the server is a 503, unless ssl_check_hostname=false."""
    url = f"{tls_url.replace('127.0.0.1', 'localhost')}?ssl_ca_certs={certs.ca}"
    app = app_on(settings, url, fresh_prefix("tls"))
    with app.test_client(headers=AUTH) as c:
        assert_fynd_error(add(c, [(article(app.sandbox.catalog), 1)]), 503, "not valid for 'localhost'")
    cart_made_and_read_back(settings, f"{url}&ssl_check_hostname=false")


def test_a_server_asking_for_a_client_certificate_gets_the_urls(settings, tmp_path, certs):
    """With --tls-auth-clients yes, the URL's ssl_certfile and ssl_keyfile are presented; without them, a 503."""
    with tls_server(tmp_path, certs, "yes") as url:
        url = f"{url}?ssl_ca_certs={certs.ca}"
        cart_made_and_read_back(settings, f"{url}&ssl_certfile={certs.client_cert}&ssl_keyfile={certs.client_key}")
        app = app_on(settings, url, fresh_prefix("tls"))
        with app.test_client(headers=AUTH) as c:
            assert_fynd_error(add(c, [(article(app.sandbox.catalog), 1)]), 503, "Redis", "cannot be reached")


@pytest.mark.parametrize("query, words", [
    ("ssl_ca_certs=/nonexistent/ca.pem", ["ssl_ca_certs=/nonexistent/ca.pem", "No such file"]),
    ("ssl_keyfile=/some/key.pem", ["ssl_keyfile needs ssl_certfile"]),
    ("ssl_cert_reqs=sometimes", ["ssl_cert_reqs=sometimes"]),
])
def test_serve_refuses_tls_options_it_cannot_use(capsys, query, words):
    """`cartwright serve` refuses TLS options it cannot use at start: exit 2, one line naming the option."""
    from cartwright.sandbox._cli import main

    assert main(["serve", "--state", f"rediss://127.0.0.1:6380/0?{query}"]) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words) and "Traceback" not in err, err
