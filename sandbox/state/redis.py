"""The state port on Redis: one state shared by every process (worker or host) pointed at the same Redis.

Keys (``P`` is the key prefix, ``T`` a tenant: the first component of a part, the company, or for voucher
carts the token owner; ``{T}`` is a Redis Cluster hash tag, so one tenant's keys share a slot):

    P{T}:r:<table>\\x1f<part>   hash    key → record (json_codec.encode)     one per table part
    P{T}:v                     hash    <table>\\x1f<part> → version         moved by every write to the part
    P{cartwright}:G            string  the generation: moved by every clear and restore
    P{cartwright}:totals       hash    table → records in all parts
    P{cartwright}:parts        hash    record hash key → <table>\\x1f<part>  the parts that hold records
    P{cartwright}:counters     hash    name → last number given (never reset)
    P{cartwright}:shared       hash    what every process agrees on: the catalog, the ids key (never reset)
    P{cartwright}:notes:<t>    hash    <part>\\x1f<key> → note, at most ``capacity`` (:order, :sequence: which is oldest)
    P{cartwright}:log:<name>   list    a bounded log's records, newest first (LPUSH, then LTRIM to its capacity)

Transactions are optimistic, checked by one Lua script (scripts run atomically): ``fn`` reads through its
transaction, which notes what each read saw (a field's SHA-1, a part's version for a whole-part read or a
stamp, the generation); the commit script applies the buffered writes only if all of that is still so, else
``fn`` runs again (``ATTEMPTS`` times at most, then ``StateUnavailable``). Only what was read is checked, so
transactions that touch other carts of the same application never conflict; counts (the caps) are not checked
(a cap may be passed by as many new carts as are being made at that moment).

Round trips: every read is one pipeline, which also fetches the generation and *riders*: the small values a
request asked for right after reading the same tenant before (the versions its pricing stamp reads, the
count of a part, a table's total, a counter). Asked for again after such a read in the same request, they
are answered from what came with it, once: so a cart read and priced costs its reads alone, and an
add-to-cart's cap checks and epoch come with its first read. A pointer and the record it names (a user's cart)
are one round trip (``follow``: a script reads the one, then the other). ``exchanges`` counts the round trips.
Writes that nothing waits on are *posted* (``posts``): written to Redis before the request goes on, their answers
read later by the connection's next round trip (the journal entry, the note of a fresh cart's id: written
before the answer goes, so a read sent after the answer, by any process, finds it). Numbers that need only be
unique (a cart's) are reserved ``RESERVED`` at a time per process. The round trips and posts of requests waiting
at the same moment are written together (``_Batches``): under load, one write and one read serve many.

The client is the sandbox's own (``_Connection``, ``_Pool``): asyncio streams, commands packed by
``hiredis.pack_command`` and answers parsed by ``hiredis.Reader``, a round trip's answers read in one loop under
its one deadline (redis-py's asyncio connection packs in Python and reads each answer on its own, under its own
timeout: 5-6 times the CPU per round trip). Of redis-py it uses ``parse_url`` (the URL read as ``redis.from_url``
reads it: AUTH user and password, db, rediss:// with its ssl_* options, unix://; other options are refused),
``RedisSSLContext`` (rediss://) and its exception classes. Connections are bound to the event loop that opened
them, so there is one pool per loop, closed when that loop shuts down. The tenant-local keys are laid out for a
Cluster; the commit script and ``clear``/``restore``/``export`` also touch the global keys, so they need a single
Redis (as served here).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import logging
import random
import re
import ssl
from collections.abc import Awaitable, Callable, Hashable, Iterator, Sequence
from typing import Any, TypeVar

import hiredis
import orjson
from redis.asyncio.connection import RedisSSLContext, SSLConnection, parse_url
from redis.exceptions import (
    AuthenticationError,
    BusyLoadingError,
    ConnectionError as RedisConnectionError,
    NoScriptError,
    ReadOnlyError,
    RedisError,
    ResponseError,
    TimeoutError as RedisTimeoutError,
)

from ..domain.errors import RecordMoved, StateMoved, StateUnavailable
from ..domain.storage import FORMAT, VERSION, Record, checked_document, follow_pointer
from ..json_codec import decode, encode

T = TypeVar("T")
SEP = "\x1f"
ATTEMPTS = 50
"""Runs of a transaction's function at most, when its reads keep being changed under it."""
RESERVED = 64
"""Numbers a process takes at once for a counter whose numbers need only be unique (``next_number``)."""
_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, BusyLoadingError, ReadOnlyError, OSError, TimeoutError)
_DELETED = object()
_MISSING = object()
_NONE: dict = {}

log = logging.getLogger("cartwright.sandbox")


def tenant(part: str) -> str:
    """The hash tag of ``part``'s tenant: its first component, with the characters a tag cannot hold escaped."""
    first = part.split(SEP, 1)[0]
    return first.replace("%", "%25").replace("{", "%7B").replace("}", "%7D") or "%"


def _sha1(stored: bytes | None) -> bytes:
    return b"" if stored is None else hashlib.sha1(stored).hexdigest().encode()


class _Observed:
    """What the reads of one request saw (the generation, riders fetched for asks to come), and whether it
    changed the state."""

    __slots__ = ("generation", "riders", "changed")

    def __init__(self) -> None:
        self.generation: int | None = None
        self.riders: dict[tuple, tuple[int, Any]] = {}   # rider → (generation, answer)
        self.changed = False


_OBSERVED: contextvars.ContextVar[_Observed | None] = contextvars.ContextVar("cartwright_observed", default=None)


class _Reliance:
    """A block relying on the watched record being at ``version`` (``relying_on``); ``done`` once checked."""

    __slots__ = ("version", "done")

    def __init__(self, version: Any) -> None:
        self.version = version
        self.done = False


_RELYING: contextvars.ContextVar[_Reliance | None] = contextvars.ContextVar("cartwright_relying", default=None)


class _Conflict(Exception):
    """A transaction's reads no longer hold (raised inside it when a read sees another generation)."""


# ---------------------------------------------------------------------- scripts
COMMIT = """
local g = redis.call('GET', KEYS[1]) or '0'
if ARGV[1] ~= '*' and g ~= ARGV[1] then return 'moved' end
local i = 3
for c = 1, tonumber(ARGV[2]) do
  local now = redis.call('HGET', KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2])
  if not now then now = '' elseif ARGV[i] == 'f' then now = redis.sha1hex(now) end
  if now ~= ARGV[i + 3] then return 'conflict' end
  i = i + 4
end
local writes = tonumber(ARGV[i])
i = i + 1
for w = 1, writes do
  local hash, versions = KEYS[tonumber(ARGV[i])], KEYS[tonumber(ARGV[i + 1])]
  local place, tbl, field = ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local delta
  if ARGV[i + 5] == 'p' then
    delta = redis.call('HSET', hash, field, ARGV[i + 6])
  else
    delta = -redis.call('HDEL', hash, field)
  end
  if delta ~= 0 then
    redis.call('HINCRBY', KEYS[2], tbl, delta)
    if redis.call('EXISTS', hash) == 1 then redis.call('HSET', KEYS[3], hash, place)
    else redis.call('HDEL', KEYS[3], hash) end
  end
  redis.call('HINCRBY', versions, place, 1)
  i = i + 7
end
return 'ok'
"""
"""KEYS: generation, totals, parts, then the transaction's hashes. ARGV: the generation read ('*': none), the
checks (kind 'f' a field's SHA-1 or 'v' a version, key index, field, expected; '' = absent), the writes (hash
index, versions index, <table>\\x1f<part>, table, field, 'p'ut or 'd'elete, record)."""

_FORGET_ALL = """
local keep = {}
for i = 2, #ARGV do keep[ARGV[i]] = true end
local cursor = '0'
repeat
  local found = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = found[1]
  for _, key in ipairs(found[2]) do
    if not keep[key] then redis.call('UNLINK', key) end
  end
until cursor == '0'
"""

CLEAR = _FORGET_ALL + "return redis.call('INCR', KEYS[1])"
"""KEYS: generation. ARGV: the pattern of every key of the prefix, then the keys that stay."""

RESTORE = _FORGET_ALL.replace("for i = 2, #ARGV", "for i = 4, 3 + tonumber(ARGV[2])") + """
local i = 4 + tonumber(ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[5], 'catalog', ARGV[3]) end
for c = 1, tonumber(ARGV[i]) do
  local name, value = ARGV[i + 1], tonumber(ARGV[i + 2])
  if value > tonumber(redis.call('HGET', KEYS[4], name) or '0') then redis.call('HSET', KEYS[4], name, value) end
  i = i + 2
end
i = i + 1
while i <= #ARGV do
  local hash, place, tbl, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  for r = 1, n do
    redis.call('HSET', hash, ARGV[i], ARGV[i + 1])
    i = i + 2
  end
  if n > 0 then
    redis.call('HSET', KEYS[3], hash, place)
    redis.call('HINCRBY', KEYS[2], tbl, n)
  end
end
return redis.call('INCR', KEYS[1])
"""
"""KEYS: generation, totals, parts, counters, shared. ARGV: the pattern, how many keys stay, the catalog
identity ('' = keep), the keys that stay, the counters (how many, then name, value), then per part: its hash,
<table>\\x1f<part>, table, how many records, then key, record."""

EXPORT = """
local out = {redis.call('GET', KEYS[1]) or '0', redis.call('HGETALL', KEYS[2])}
local parts = redis.call('HGETALL', KEYS[3])
for i = 1, #parts, 2 do
  out[#out + 1] = parts[i + 1]
  out[#out + 1] = redis.call('HGETALL', parts[i])
end
return out
"""
"""KEYS: generation, counters, parts. Answers the generation, the counters, then <table>\\x1f<part> and its
records, for every part."""

REMEMBER = """
local n = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], n, ARGV[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  local gone = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #gone, 2 do redis.call('HDEL', KEYS[1], gone[i]) end
end
return n
"""
"""KEYS: the notes, their order, their sequence. ARGV: <part>\\x1f<key>, the note, the capacity."""


FOLLOW = """
local out = {}
for i = 1, #ARGV do out[i] = redis.call('HGET', KEYS[i], ARGV[i]) end
local target = false
if out[1] then
  local ok, key = pcall(cjson.decode, out[1])
  if ok and type(key) == 'string' then target = redis.call('HGET', KEYS[#ARGV + 1], key) end
end
out[#ARGV + 1] = target
return out
"""
"""KEYS: the hashes of the records wanted, then the hash of the table followed into. ARGV: the records' keys.
Answers the records, then the record the first one names (its key: a JSON string), each nil where absent."""

_SCRIPTS = {"commit": COMMIT, "follow": FOLLOW, "clear": CLEAR, "restore": RESTORE, "export": EXPORT}
_SHAS = {name: hashlib.sha1(text.encode()).hexdigest() for name, text in _SCRIPTS.items()}


class _Connection:
    """One connection to Redis on asyncio streams: commands packed by ``hiredis.pack_command``, answers parsed by
    a ``hiredis.Reader``, all of a round trip's answers read in one loop under the round trip's one deadline.

    redis-py's asyncio connection packs commands in Python and reads each answer on its own (a coroutine, and
    a timeout, per answer): 5-6 times this one's CPU per round trip, measured (bench/README.md). Only RESP2 is
    spoken, and only what the sandbox sends: no pub/sub, no push messages."""

    __slots__ = ("stream", "writer", "parser", "unread")

    def __init__(self, stream: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stream, self.writer = stream, writer
        self.parser = hiredis.Reader(notEnoughData=_MORE, replyError=ResponseError)
        self.unread = 0   # answers owed to commands posted (``post``), read before the next exchange's

    async def exchange(self, commands: Sequence[tuple], posted: Sequence[tuple] = ()) -> list:
        """``commands`` written at once (after ``posted``, whose answers are not waited for), and their answers as
        Redis gives them (a hash is a flat list; an error answer is the exception, read whole: the next answers
        follow). The answers owed to posted commands come first: they are read and dropped (an error among them
        is logged)."""
        writer = self.writer
        self.unread += len(posted)
        self._write([*posted, *commands])
        if writer.transport.get_write_buffer_size():   # a large write (a restore): wait for it to go
            await writer.drain()
        answers: list = []
        owed, self.unread = self.unread, 0
        wanted = len(commands)
        parser = self.parser
        while owed or len(answers) < wanted:
            answer = parser.gets()
            while answer is not _MORE:
                if owed:
                    owed -= 1
                    if isinstance(answer, ResponseError):
                        log.warning("Redis refused a command sent without waiting for its answer: %s", answer)
                else:
                    answers.append(_classified(answer) if isinstance(answer, ResponseError) else answer)
                if not owed and len(answers) == wanted:
                    return answers
                answer = parser.gets()
            data = await self.stream.read(262144)
            if not data:
                raise RedisConnectionError("Redis closed the connection")
            parser.feed(data)
        return answers

    def post(self, commands: Sequence[tuple]) -> None:
        """``commands`` written, their answers left to be read (and dropped) by the next exchange."""
        self.unread += len(commands)
        self._write(commands)

    def _write(self, commands: Sequence[tuple]) -> None:
        if commands:
            self.writer.write(b"".join([hiredis.pack_command(c) for c in commands]))

    def close(self) -> None:
        self.writer.close()


_MORE = object()   # hiredis.Reader: no whole answer yet
_OWED_AT_MOST = 1024   # answers a connection may owe to posted commands before the next post reads them
_ERRORS = {"NOSCRIPT": NoScriptError, "LOADING": BusyLoadingError, "READONLY": ReadOnlyError}


def _classified(error: ResponseError) -> Exception:
    """An error answer as the redis-py exception that names its kind (the first word of its message)."""
    kind = _ERRORS.get(str(error).split(" ", 1)[0])
    return error if kind is None else kind(str(error))


class _Pool:
    """The connections of one event loop to the Redis at a URL: idle ones are reused, one is opened when none
    is idle (AUTH and SELECT as the URL says; TLS for rediss://, a unix socket for unix://)."""

    def __init__(self, address: _Address) -> None:
        self.address = address
        self.idle: list[_Connection] = []

    async def open(self) -> _Connection:
        a = self.address
        if a.path is not None:
            stream, writer = await asyncio.open_unix_connection(a.path)
        else:
            stream, writer = await asyncio.open_connection(a.host, a.port, ssl=a.tls,
                                                           server_hostname=a.host if a.tls else None)
        connection = _Connection(stream, writer)
        hello: list[tuple] = []
        if a.password is not None:
            hello.append(("AUTH", a.password) if a.username is None else ("AUTH", a.username, a.password))
        if a.db:
            hello.append(("SELECT", a.db))
        if hello:
            try:
                answers = await connection.exchange(hello)
                for answer in answers:
                    if isinstance(answer, Exception):
                        raise AuthenticationError(f"{answer}")
            except BaseException:
                connection.close()
                raise
        return connection

    async def send(self, commands: list[tuple], posted: Sequence[tuple] = ()) -> list:
        """One round trip on an idle connection (or a new one), ``posted`` written first (their answers not waited
        for); an idle one that died with a Redis that restarted is closed, and the round trip made again on a new
        one."""
        while True:
            reused = bool(self.idle)
            connection = await self.take()
            try:
                answers = await connection.exchange(commands, posted)
            except (RedisConnectionError, OSError):
                connection.close()
                if not reused:
                    raise
                continue
            except BaseException:   # answers left unread (a timeout): the connection cannot serve another call
                connection.close()
                raise
            self.idle.append(connection)
            return answers

    async def take(self) -> _Connection:
        """An idle connection (one Redis closed since is dropped), else a new one."""
        while self.idle:
            connection = self.idle.pop()
            if not (connection.stream.at_eof() or connection.writer.is_closing()):
                return connection
            connection.close()
        return await self.open()

    async def post(self, commands: list[tuple]) -> None:
        """``commands`` written on an idle connection (or a new one) without waiting for their answers: out of
        this process (in the kernel's hands) when this returns. Redis runs a connection's commands in order, and
        a command whose bytes reached it before another's was sent is run first, so whatever anyone asks from
        then on sees their effect. The answers are read by the connection's next exchange."""
        connection = await self.take()
        try:
            connection.post(commands)
            if connection.unread >= _OWED_AT_MOST or connection.writer.transport.get_write_buffer_size():
                await connection.exchange(())   # the bytes sent (and what is owed read) before going on
        except BaseException:
            connection.close()
            raise
        self.idle.append(connection)

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


class _Address:
    """Where Redis is and how to log in, from a redis://, rediss:// or unix:// URL (parsed by redis-py's
    ``parse_url``, as ``redis.from_url`` reads it). Refuses the URL's options this client does not apply."""

    TLS_OPTIONS = ("ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_check_hostname")

    def __init__(self, url: str) -> None:
        options: dict[str, Any] = dict(parse_url(url))
        kind = options.pop("connection_class", None)
        self.path: str | None = options.pop("path", None)
        self.host: str = options.pop("host", "localhost")
        self.port: int = int(options.pop("port", 6379))
        self.db = int(options.pop("db", 0) or 0)
        self.username: str | None = options.pop("username", None)
        self.password: str | None = options.pop("password", None)
        self.tls: ssl.SSLContext | None = None
        if kind is not None and issubclass(kind, SSLConnection):
            self.tls = _tls_context({k: options.pop(k) for k in self.TLS_OPTIONS if k in options})
        if options:
            raise ValueError(f"the Redis URL's option(s) {', '.join(sorted(options))} are not supported "
                             f"(supported: db, and for rediss:// {', '.join(self.TLS_OPTIONS)})")


def without_password(url: str) -> str:
    """``url`` with its user and password hidden: what messages and logs show (answers carry them)."""
    return re.sub(r"//[^@/]*@", "//***@", url)


def redis_address(url: str) -> _Address:
    """Where the Redis at ``url`` is; ValueError for a URL this client cannot follow (the settings check it)."""
    return _Address(url)


def _tls_context(options: dict[str, Any]) -> ssl.SSLContext:
    """The TLS context redis-py's own rediss:// connection makes from these options (``SSLConnection``'s
    defaults: the server's certificate required, its host name checked; ``ssl_ca_certs`` trusted besides the
    system's CAs). ValueError for options it cannot use: a missing or unreadable file, an unknown
    ``ssl_cert_reqs``, a key without its certificate."""
    if options.get("ssl_keyfile") and not options.get("ssl_certfile"):
        raise ValueError("the Redis URL's ssl_keyfile needs ssl_certfile (the client certificate it is the key of)")
    try:
        return RedisSSLContext(
            keyfile=options.get("ssl_keyfile"), certfile=options.get("ssl_certfile"),
            cert_reqs=str(options.get("ssl_cert_reqs", "required")).lower(), ca_certs=options.get("ssl_ca_certs"),
            check_hostname=options.get("ssl_check_hostname") is not False,   # parse_url: True, False or None
        ).get()
    except (RedisError, OSError) as error:   # OSError: a file missing, or not a certificate (ssl.SSLError)
        given = ", ".join(f"{name}={value}" for name, value in sorted(options.items()))
        raise ValueError(f"the Redis URL's TLS options ({given}) cannot be used: {error}") from error


class _LeaderGone(Exception):
    """The request sending a batch was cancelled before it had the answers: send again."""


class _Batches:
    """Round trips and posts asked for together, sent in one write (Redis answers in order): the first request to
    ask waits one turn of the event loop, while the requests ready to run add their commands, then writes them all
    (the posted ones first) and hands each round trip its answers; a post is done once written. Under load, one
    write and one read serve many requests; alone, a request waits one turn."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        # While a request gathers a batch: the others' round trips (commands, the future of their answers) and
        # posts (commands, the future set once they are written); else None.
        self.gathering: list[tuple[list[tuple], asyncio.Future]] | None = None
        self.posting: list[tuple[list[tuple], asyncio.Future]] = []

    async def round_trip(self, commands: list[tuple]) -> list:
        while self.gathering is not None:
            future = asyncio.get_running_loop().create_future()
            self.gathering.append((commands, future))
            try:
                return _answers(await future)
            except _LeaderGone:
                continue
        return _answers(await self._lead(commands, []))

    async def post(self, commands: list[tuple]) -> None:
        while self.gathering is not None:
            future = asyncio.get_running_loop().create_future()
            self.posting.append((commands, future))
            try:
                return await future
            except _LeaderGone:
                continue
        await self._lead([], commands)

    async def _lead(self, commands: list[tuple], posted: list[tuple]) -> list:
        """Gather for one turn, then send: the leader's own answers."""
        others: list[tuple[list[tuple], asyncio.Future]] = []
        posts: list[tuple[list[tuple], asyncio.Future]] = []
        self.gathering, self.posting = others, posts
        try:
            try:
                await asyncio.sleep(0)
            finally:
                self.gathering, self.posting = None, []
            posted = [*posted, *(c for theirs, _ in posts for c in theirs)]
            wanted = [*commands, *(c for theirs, _ in others for c in theirs)]
            answers: list = []
            if wanted:
                answers = await self.pool.send(wanted, posted)
            else:
                await self.pool.post(posted)
        except BaseException as exc:   # the others learn it (a cancelled leader: they send theirs again)
            handed = exc if isinstance(exc, Exception) else _LeaderGone()
            for _, future in (*others, *posts):
                if not future.done():
                    future.set_exception(handed)
            raise
        for _, future in posts:
            if not future.done():
                future.set_result(None)
        start = len(commands)
        for theirs, future in others:
            if not future.done():   # (one whose own deadline passed was cancelled)
                future.set_result(answers[start:start + len(theirs)])
            start += len(theirs)
        return answers[:len(commands)]


def _answers(answers: list) -> list:
    for answer in answers:
        if isinstance(answer, Exception):
            raise answer
    return answers


async def _close_with_loop(pool: _Pool):
    """Suspended for as long as its loop runs: the loop closes open async generators as it shuts down
    (``loop.shutdown_asyncgens``, which ``asyncio.run`` and uvicorn call), which closes the pool there."""
    try:
        yield
    finally:
        pool.close()


class RedisStorage:
    """``Storage`` (and ``SharedStorage``) on one Redis, at ``url`` under ``prefix``."""

    shared = True

    def __init__(self, url: str, prefix: str = "cartwright:", timeout: float = 5.0) -> None:
        self.url, self.prefix, self.timeout = url, prefix, timeout
        self.generation: int | None = None
        self.exchanges = 0   # round trips to Redis so far
        self.posts = 0   # writes sent without waiting for their answers (``append``, ``remember``)
        self._reserved: dict[str, list] = {}   # counter → [generation, next number, last number] (``next_number``)
        self._taking: dict[str, asyncio.Future] = {}   # counter → the block being taken, done when it is
        self._address = _Address(url)   # a URL this client cannot follow is refused here
        self._pools: dict[asyncio.AbstractEventLoop, tuple[_Batches, Any]] = {}
        # Riders learnt (see the module's docstring): per tenant, and for all (counters, totals); rider → command.
        self._riders: dict[str | None, dict[tuple, tuple]] = {}
        g = prefix + "{cartwright}:"
        self._generation_key, self._totals, self._parts = g + "G", g + "totals", g + "parts"
        self._counters, self._shared = g + "counters", g + "shared"
        self._notes = g + "notes:"
        self._logs = g + "log:"
        self._everything = _glob_escape(prefix) + "{*"   # every key of this prefix (and no longer prefix's)
        self._watched: tuple[tuple, tuple] | None = None   # (its version's command, its record's command)

    def __repr__(self) -> str:
        return f"RedisStorage({without_password(self.url)!r}, prefix={self.prefix!r})"

    # ------------------------------------------------------------------ keys
    def _hash(self, table: str, part: str) -> str:
        return f"{self.prefix}{{{tenant(part)}}}:r:{table}{SEP}{part}"

    def _versions(self, tag: str) -> str:
        return f"{self.prefix}{{{tag}}}:v"

    # ------------------------------------------------------------------ connections
    async def _batches(self) -> _Batches:
        """This loop's pool of connections (a connection is bound to the loop that opened it), closed with the loop."""
        loop = asyncio.get_running_loop()
        found = self._pools.get(loop)
        if found is None:
            for old in [known for known in list(self._pools) if known.is_closed()]:   # closed without shutting down
                del self._pools[old]
            pool = _Pool(self._address)
            closer = _close_with_loop(pool)
            found = self._pools[loop] = (_Batches(pool), closer)
            await closer.__anext__()
        return found[0]

    async def _round_trip(self, commands: list[tuple]) -> list:
        """The answers of ``commands``, sent with other requests' (``_Batches``): one round trip (two when Redis
        has lost the scripts, restarted or flushed since they were loaded: loaded again, then sent again)."""
        try:
            return await self._within_deadline((await self._batches()).round_trip(commands))
        except NoScriptError:   # (a command refused so was not run: sending it again is safe)
            await self._within_deadline((await self._batches()).round_trip(
                [("SCRIPT", "LOAD", text) for text in _SCRIPTS.values()]))
            return await self._within_deadline((await self._batches()).round_trip(commands))

    async def _within_deadline(self, exchange: Awaitable[T], counted: bool = True) -> T:
        """``exchange`` awaited within the deadline; an unreachable Redis is StateUnavailable. ``counted``: a
        round trip (``exchanges``)."""
        self.exchanges += counted
        try:
            async with asyncio.timeout(self.timeout):
                return await exchange
        except _UNREACHABLE as exc:
            raise StateUnavailable(f"state: Redis at {without_password(self.url)} cannot be reached "
                                   f"({type(exc).__name__}: {exc}); try again when it is back", field="state") from None

    async def _command(self, *command) -> Any:
        """One command's answer, sent with the round trips of other requests waiting at the same moment."""
        (answer,) = await self._round_trip([command])
        return answer

    async def _script(self, name: str, keys: list, args: list) -> Any:
        """A script's answer (EVALSHA, sent with other requests')."""
        return await self._command("EVALSHA", _SHAS[name], len(keys), *keys, *args)

    async def _exchange(self, commands: Sequence[tuple], tag: str | None = None,
                        follow: bool = True) -> tuple[int, dict, list]:
        """One round trip: ``commands``, after the generation and (reading a tenant) the riders learnt.
        Answers (generation, the riders' answers, the commands' answers). ``follow``: StateMoved when the
        generation is not the one this process follows."""
        riders: Sequence[tuple[tuple, tuple]] = ()
        if tag is not None:
            riders = [*self._riders.get(tag, _NONE).items(), *self._riders.get(None, _NONE).items()]
        relying = _RELYING.get()
        if relying is not None and (relying.done or self._watched is None):
            relying = None
        sent = [("GET", self._generation_key), *(command for _, command in riders), *commands]
        if relying is not None:   # the block's first round trip: the watched record's version comes first
            sent.insert(0, self._watched[0])   # type: ignore[index]
        answers = await self._round_trip(sent)
        if relying is not None:
            relying.done = True
            if answers.pop(0) != relying.version:
                raise RecordMoved("state: the sandbox's controls were changed by another process", field="state")
        generation = int(answers[0] or 0)
        observed = _OBSERVED.get()
        if observed is not None:
            observed.generation = generation
        if follow and self.generation is not None and generation != self.generation:
            raise StateMoved("state: the shared state was reset, reseeded or replaced by another process",
                             field="state")
        fetched = {rider: (generation, answer) for (rider, _), answer in zip(riders, answers[1:])}
        if observed is not None and fetched:
            observed.riders.update(fetched)
        return generation, fetched, answers[1 + len(riders):]

    def _learn(self, tag: str | None, rider: tuple, command: tuple) -> None:
        """Fetch ``rider`` with every read of ``tag`` from now on (None: of any tenant)."""
        riders = self._riders.get(tag)
        if riders is None:
            if len(self._riders) >= 4096:   # tenants are many only under a flood: start over
                self._riders.clear()
            riders = self._riders[tag] = {}
        if rider not in riders:
            if len(riders) >= 8:
                riders.clear()
            riders[rider] = command

    async def _small(self, tag: str | None, rider: tuple, command: tuple) -> tuple[int, Any]:
        """(generation, answer) of ``command``: from the rider fetched with this request's last read when there
        is one, else one round trip (and it rides along from now on)."""
        observed = _OBSERVED.get()
        if observed is not None:
            fetched = observed.riders.pop(rider, None)
            if fetched is not None:
                return fetched
        self._learn(tag, rider, command)
        generation, _, (answer,) = await self._exchange((command,))
        return generation, answer

    @contextlib.contextmanager
    def observing(self) -> Iterator[_Observed]:
        """What the reads made inside the block (in this task) saw: a request's view of the shared state."""
        observed = _Observed()
        token = _OBSERVED.set(observed)
        try:
            yield observed
        finally:
            _OBSERVED.reset(token)

    def watch(self, table: str, part: str, key: str) -> None:
        """Keep one record (the controls) in each process's memory, checked by its part's version: a request
        relying on it (``relying_on``) reads the version with its first round trip, at no round trip of its
        own."""
        tag = tenant(part)
        self._watched = (("HGET", self._versions(tag), f"{table}{SEP}{part}"), ("HGET", self._hash(table, part), key))

    async def read_watched(self) -> tuple[Any, bytes | None]:
        """(version, record): the version first, so a write between the two leaves it older than the record
        (and the next check reads the record again)."""
        assert self._watched is not None
        _, _, (version, stored) = await self._exchange(self._watched, None)
        return version, stored

    @contextlib.contextmanager
    def relying_on(self, version: Any) -> Iterator[_Reliance]:
        reliance = _Reliance(version)
        token = _RELYING.set(reliance)
        try:
            yield reliance
        finally:
            _RELYING.reset(token)

    async def checked(self) -> None:
        relying = _RELYING.get()
        if relying is not None and not relying.done and self._watched is not None:
            await self.current_generation()

    async def current_generation(self) -> int:
        generation, _, _ = await self._exchange((), follow=False)
        return generation

    # ------------------------------------------------------------------ reading
    async def get(self, table: str, part: str, key: str) -> Record | None:
        stored = await self.get_encoded(table, part, key)
        return None if stored is None else decode(stored)

    async def get_encoded(self, table: str, part: str, key: str) -> bytes | None:
        _, _, (stored,) = await self._exchange((("HGET", self._hash(table, part), key),), tenant(part))
        return stored

    def decode(self, encoded: bytes) -> Record:
        return decode(encoded)

    async def get_many(self, table: str, part: str, keys: Sequence[str]) -> list[Record | None]:
        if not keys:
            return []
        _, _, (found,) = await self._exchange((("HMGET", self._hash(table, part), *keys),), tenant(part))
        return [None if s is None else decode(s) for s in found]

    async def follow(self, wanted: Sequence[tuple[str, str, str]], table: str) -> tuple[list[Record | None], Any]:
        _, _, (found,) = await self._exchange((self._follow_script(wanted, table),), tenant(wanted[0][1]))
        return [None if s is None else decode(s) for s in found[:-1]], found[-1]

    def _follow_script(self, wanted: Sequence[tuple[str, str, str]], table: str) -> tuple:
        keys = [*(self._hash(t, p) for t, p, _ in wanted), self._hash(table, wanted[0][1])]
        return ("EVALSHA", _SHAS["follow"], len(keys), *keys, *(k for _, _, k in wanted))

    async def items(self, table: str, part: str) -> dict[str, Record]:
        _, _, (found,) = await self._exchange((("HGETALL", self._hash(table, part)),), tenant(part))
        return {k.decode(): decode(v) for k, v in _pairs(found)}

    async def get_each(self, wanted: Sequence[tuple[str, str, str]]) -> list[Record | None]:
        if not wanted:
            return []
        _, _, found = await self._exchange([("HGET", self._hash(t, p), k) for t, p, k in wanted],
                                           tenant(wanted[0][1]))
        return [None if s is None else decode(s) for s in found]

    async def count(self, table: str, part: str) -> int:
        _, n = await self._small(tenant(part), ("count", table, part), ("HLEN", self._hash(table, part)))
        return n

    async def stamp(self, places: Sequence[tuple[str, str]]) -> Hashable:
        """The generation and the versions of ``places`` (a rider: see the module's docstring)."""
        tag, rider, command = self._stamp_rider(places)
        generation, versions = await self._small(tag, rider, command)
        return generation, tuple(versions)

    def _stamp_rider(self, places: Sequence[tuple[str, str]]) -> tuple[str, tuple, tuple]:
        tag = tenant(places[0][1])
        fields = tuple(f"{t}{SEP}{p}" for t, p in places)
        return tag, ("stamp", fields), ("HMGET", self._versions(tag), *fields)

    async def parts(self, table: str) -> list[str]:
        places = await self._command("HVALS", self._parts)
        start = (table + SEP).encode()
        return sorted(p[len(start):].decode() for p in places if p.startswith(start))

    async def total(self, table: str) -> int:
        _, n = await self._small(None, ("total", table), ("HGET", self._totals, table))
        return int(n or 0)

    # ------------------------------------------------------------------ changing
    async def atomically(self, fn: Callable[[_Tx], Awaitable[T]]) -> T:
        for attempt in range(ATTEMPTS):
            tx = _Tx(self)
            try:
                result = await fn(tx)
            except _Conflict:
                pass
            else:
                if not tx.writes:
                    return result
                await self.checked()   # (a write before any read: what the request relied on is checked first)
                outcome = await self._commit(tx)
                if outcome == b"ok":
                    self._changed()
                    return result
                if outcome == b"moved" and self.generation is not None:
                    raise StateMoved("state: the shared state was reset, reseeded or replaced by another process",
                                     field="state")
            # Others changed what this one read: run it again, after a pause that grows (and differs per process).
            await asyncio.sleep(random.uniform(0, min(0.0005 * 2 ** attempt, 0.02)))
        raise StateUnavailable(f"state: a change met concurrent changes to the same records {ATTEMPTS} times; "
                               f"try again", field="state")

    async def _commit(self, tx: _Tx) -> bytes:
        keys = [self._generation_key, self._totals, self._parts]
        index: dict[str, int] = {}

        def at(key: str) -> int:
            found = index.get(key)
            if found is None:
                keys.append(key)
                found = index[key] = len(keys)
            return found

        generation = tx.generation if tx.generation is not None else self.generation
        args: list = ["*" if generation is None else generation, len(tx.checks)]
        for (kind, key, field), expected in tx.checks.items():
            args += (kind, at(key), field, expected)
        args.append(len(tx.writes))
        for (table, part, key), record in tx.writes.items():
            args += (at(self._hash(table, part)), at(self._versions(tenant(part))), f"{table}{SEP}{part}", table,
                     key, *(("d", "") if record is _DELETED else ("p", record)))
        return await self._script("commit", keys, args)

    async def next_number(self, name: str, ordered: bool = True) -> int:
        """``ordered=False``: from this process's block of ``RESERVED`` numbers, taken by one ``HINCRBY`` when
        the last is used up (a block is only used in the generation it was taken in: a restore may move the
        counter past it)."""
        if not ordered:
            return await self._reserved_number(name)
        await self.checked()
        number = await self._command("HINCRBY", self._counters, name, 1)
        observed = _OBSERVED.get()
        if observed is not None:
            observed.riders.pop(("counter", name), None)
        return number

    async def _reserved_number(self, name: str) -> int:
        while True:
            block = self._reserved.get(name)
            if block is not None and block[0] == self.generation and block[1] <= block[2]:
                block[1] += 1
                return block[1] - 1
            taking = self._taking.get(name)
            if taking is not None and taking.get_loop() is asyncio.get_running_loop():
                await taking   # another request of this loop is taking a block: wait for it, then share it
                continue
            taking = self._taking[name] = asyncio.get_running_loop().create_future()
            try:
                await self.checked()
                last = await self._command("HINCRBY", self._counters, name, RESERVED)
                self._reserved[name] = [self.generation, last - RESERVED + 1, last]
            finally:
                if self._taking.get(name) is taking:
                    del self._taking[name]
                taking.set_result(None)

    async def counter(self, name: str) -> int:
        _, n = await self._small(None, ("counter", name), ("HGET", self._counters, name))
        return int(n or 0)

    async def counters(self, names: Sequence[str]) -> list[int]:
        if not names:
            return []
        _, _, (found,) = await self._exchange((("HMGET", self._counters, *names),))
        return [int(n or 0) for n in found]

    async def remember(self, table: str, part: str, key: str, record: Record, capacity: int) -> None:
        """Posted, as a log record is (``append``): a recall sent after this returns, by any process, finds the
        note. By EVAL, the script's text itself: a posted command's refusal is only logged, so it must not meet
        NOSCRIPT (a Redis restarted since the scripts were loaded)."""
        await self.checked()
        notes = self._notes + table
        await self._post([("EVAL", REMEMBER, 3, notes, notes + ":order", notes + ":sequence", f"{part}{SEP}{key}",
                           encode(record), capacity)])

    async def _post(self, commands: list[tuple]) -> None:
        """``commands`` written to Redis, with other requests' round trips and posts of the moment, not waited for
        (``_Batches.post``); counted in ``posts``."""
        self.posts += 1
        await self._within_deadline((await self._batches()).post(commands), counted=False)

    async def recall(self, table: str, part: str, key: str) -> Record | None:
        stored = await self._command("HGET", self._notes + table, f"{part}{SEP}{key}")
        return None if stored is None else decode(stored)

    # ------------------------------------------------------------------ logs
    async def append(self, log: str, record: Record, capacity: int) -> None:
        """LPUSH, then LTRIM, posted: written to Redis, not waited for (``_Pool.post``: a read sent after this
        returns, by any process, finds the record)."""
        key = self._logs + log
        if capacity <= 0:
            await self._command("DEL", key)
            return
        await self._post([("LPUSH", key, encode(record)), ("LTRIM", key, 0, capacity - 1)])

    async def tail(self, log: str, limit: int | None = None) -> list[Record]:
        if limit is not None and limit <= 0:
            return []
        found = await self._command("LRANGE", self._logs + log, 0, -1 if limit is None else limit - 1)
        return [decode(s) for s in found]

    async def clear_log(self, log: str) -> None:
        await self._command("DEL", self._logs + log)

    async def _log_keys(self) -> list[str]:
        """The keys of every log (a restore keeps them)."""
        keys, cursor = [], b"0"
        while True:
            cursor, found = await self._command("SCAN", cursor, "MATCH", _glob_escape(self._logs) + "*", "COUNT", 1000)
            keys += [k.decode() for k in found]
            if cursor == b"0":
                return keys

    def _staying(self) -> list[str]:
        return [self._generation_key, self._counters, self._shared]

    async def clear(self) -> None:
        generation = await self._script("clear", [self._generation_key], [self._everything, *self._staying()])
        self._moved_to(generation)

    def _moved_to(self, generation: int) -> None:
        """This process changed the generation itself (it keeps its catalog and caches right; a restore may have
        moved counters past the numbers it reserved)."""
        self._changed()
        self._reserved.clear()
        if self.generation is not None:
            self.generation = generation

    @staticmethod
    def _changed() -> None:
        """This request changed the state: the riders it holds are older than its own change."""
        observed = _OBSERVED.get()
        if observed is not None:
            observed.riders.clear()
            observed.changed = True

    # ------------------------------------------------------------------ snapshots
    async def export(self) -> dict:
        answer = await self._script("export", [self._generation_key, self._counters, self._parts], [])
        counters = {k.decode(): int(v) for k, v in _pairs(answer[1])}
        tables: dict[str, dict[str, dict]] = {}
        for i in range(2, len(answer), 2):
            table, _, part = answer[i].decode().partition(SEP)
            records = {k.decode(): decode(v) for k, v in _pairs(answer[i + 1])}
            if records:
                tables.setdefault(table, {})[part] = records
        return {"format": FORMAT, "version": VERSION, "counters": counters, "tables": tables}

    async def restore(self, document: dict) -> None:
        tables, counters = checked_document(document)
        catalog = document.get("catalog")
        staying = [*self._staying(), *await self._log_keys()]   # logs are not state: a restore keeps them
        args: list = [self._everything, len(staying), orjson.dumps(catalog) if isinstance(catalog, dict) else "",
                      *staying, len(counters)]
        for name, value in counters.items():
            args += (name, value)
        for table, parts in tables.items():
            for part, records in parts.items():
                args += (self._hash(table, part), f"{table}{SEP}{part}", table, len(records))
                for key, record in records.items():
                    args += (key, encode(record))
        generation = await self._script(
            "restore", [self._generation_key, self._totals, self._parts, self._counters, self._shared], args)
        self._moved_to(generation)

    # ------------------------------------------------------------------ sharing
    async def join(self, catalog: dict, ids_key: str) -> tuple[dict, str, int]:
        """The shared catalog identity, ids key and generation, read together; the first process to join names
        the catalog and the key."""
        *_, done = await self._round_trip([
            ("MULTI",), ("HSETNX", self._shared, "catalog", orjson.dumps(catalog)),
            ("HSETNX", self._shared, "ids", ids_key),
            *(("SCRIPT", "LOAD", text) for text in _SCRIPTS.values()),   # loaded now: no NOSCRIPT later
            ("HMGET", self._shared, "catalog", "ids"), ("GET", self._generation_key), ("EXEC",)])
        *_, (shared_catalog, shared_key), generation = _answers(done)
        return orjson.loads(shared_catalog), shared_key.decode(), int(generation or 0)

    async def close(self) -> None:
        """Close this loop's connections (others close with their loops)."""
        found = self._pools.pop(asyncio.get_running_loop(), None)
        if found is not None:
            found[0].pool.close()


class _Tx:
    """Reads (seeing the transaction's own writes, and noting what they saw) and buffered writes."""

    def __init__(self, storage: RedisStorage) -> None:
        self._storage = storage
        self.writes: dict[tuple[str, str, str], Any] = {}
        self.read: dict[tuple[str, str, str], bytes | None] = {}
        self.checks: dict[tuple[str, str, str], bytes] = {}   # (kind, key, field) → what it was
        self.generation: int | None = None
        self._riders: dict[tuple, tuple[int, Any]] = {}

    async def _exchange(self, commands: Sequence[tuple], tag: str | None = None) -> list:
        generation, riders, answers = await self._storage._exchange(commands, tag)
        if self.generation is None:
            self.generation = generation
        elif generation != self.generation:
            raise _Conflict()
        self._riders.update(riders)
        return answers

    async def _small(self, tag: str, rider: tuple, command: tuple) -> Any:
        fetched = self._riders.pop(rider, None)
        if fetched is not None:
            return fetched[1]
        self._storage._learn(tag, rider, command)
        (answer,) = await self._exchange((command,))
        return answer

    async def _fetch(self, wanted: Sequence[tuple[str, str, str]]) -> None:
        """Read the records at ``wanted`` not read yet, noting each (its SHA-1 is checked at the commit)."""
        wanted = [w for w in dict.fromkeys(wanted) if w not in self.read and w not in self.writes]
        if not wanted:
            return
        found = await self._exchange([("HGET", self._storage._hash(t, p), k) for t, p, k in wanted],
                                     tenant(wanted[0][1]))
        for place, stored in zip(wanted, found):
            self._note(place, stored)

    def _note(self, place: tuple[str, str, str], stored: bytes | None) -> None:
        """``place`` read as ``stored``: what reads see from now on, and what the commit checks (its SHA-1)."""
        table, part, key = place
        self.read[place] = stored
        self.checks[("f", self._storage._hash(table, part), key)] = _sha1(stored)

    async def get_encoded(self, table: str, part: str, key: str) -> bytes | None:
        written = self.writes.get((table, part, key), _MISSING)
        if written is not _MISSING:
            return None if written is _DELETED else written
        await self._fetch(((table, part, key),))
        return self.read[(table, part, key)]

    async def get(self, table: str, part: str, key: str) -> Record | None:
        stored = await self.get_encoded(table, part, key)
        return None if stored is None else decode(stored)

    def decode(self, encoded: bytes) -> Record:
        return decode(encoded)

    async def get_many(self, table: str, part: str, keys: Sequence[str]) -> list[Record | None]:
        return await self.get_each([(table, part, k) for k in keys])

    async def follow(self, wanted: Sequence[tuple[str, str, str]], table: str) -> tuple[list[Record | None], Any]:
        """One round trip (the script), each record read noted as ``_fetch`` notes it."""
        if any(w in self.read or w in self.writes for w in wanted):
            return await follow_pointer(self, wanted, table)
        part = wanted[0][1]
        (found,) = await self._exchange((self._storage._follow_script(wanted, table),), tenant(part))
        for place, stored in zip(wanted, found):
            self._note(place, stored)
        records = [None if stored is None else decode(stored) for stored in found[:-1]]
        pointer = records[0]
        if not isinstance(pointer, str):
            return records, None
        target = (table, part, pointer)
        if target not in self.read and target not in self.writes:   # (else what was read or written holds)
            self._note(target, found[-1])
        return records, await self.get_encoded(*target)

    async def get_each(self, wanted: Sequence[tuple[str, str, str]]) -> list[Record | None]:
        await self._fetch(wanted)
        return [await self.get(*w) for w in wanted]

    async def items(self, table: str, part: str) -> dict[str, Record]:
        storage = self._storage
        place = f"{table}{SEP}{part}"
        tag = tenant(part)
        # The version first: a write between the two reads leaves it older than the records, and the commit fails.
        version, found = await self._exchange((("HGET", storage._versions(tag), place),
                                               ("HGETALL", storage._hash(table, part))), tag)
        self.checks.setdefault(("v", storage._versions(tag), place), version or b"")
        records = {}
        for k, v in _pairs(found):
            key = k.decode()
            self.read.setdefault((table, part, key), v)
            records[key] = v
        for (t, p, key), written in self.writes.items():
            if t == table and p == part:
                if written is _DELETED:
                    records.pop(key, None)
                else:
                    records[key] = written
        return {k: decode(v) for k, v in records.items()}

    async def count(self, table: str, part: str) -> int:
        """Not checked at the commit (see the module's docstring)."""
        hash_key = self._storage._hash(table, part)
        written = [key for (t, p, key) in self.writes if t == table and p == part]
        if not written:
            return await self._small(tenant(part), ("count", table, part), ("HLEN", hash_key))
        count, stored = await self._exchange((("HLEN", hash_key), ("HMGET", hash_key, *written)), tenant(part))
        for key, before in zip(written, stored):
            if self.writes[(table, part, key)] is _DELETED:
                count -= before is not None
            else:
                count += before is None
        return count

    async def stamp(self, places: Sequence[tuple[str, str]]) -> Hashable | None:
        if self.writes:
            return None
        storage = self._storage
        tag, rider, command = storage._stamp_rider(places)
        versions = tuple(await self._small(tag, rider, command))
        for field, version in zip(command[2:], versions):
            self.checks.setdefault(("v", command[1], field), version or b"")
        return self.generation, versions

    def put(self, table: str, part: str, key: str, record: Record) -> None:
        self.writes[(table, part, key)] = encode(record)

    def delete(self, table: str, part: str, key: str) -> None:
        self.writes[(table, part, key)] = _DELETED


def _pairs(flat: list) -> Iterator[tuple]:
    if isinstance(flat, dict):
        yield from flat.items()
        return
    for i in range(0, len(flat), 2):
        yield flat[i], flat[i + 1]


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
