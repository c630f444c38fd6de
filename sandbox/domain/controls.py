"""The sandbox's run-time controls: the clock's setting and the fault-injection rules.

Both are kept in the state (``SandboxState.controls``), so every worker sharing the state follows them; each
request reads them afresh (``refresh``: one record; decoded again only when it changed) or, on a shared state
while no rule is in force, relies on the record last read, checked by its version with the request's first
round trip (``reading_needed``, ``web/controls.py``), and a reset of the
state puts them back as the sandbox started: the clock as its settings say (``frozen_time``, else the wall
clock), the rules of the ``fault_rules`` setting (``start``). No record means "as started".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from . import faults
from .errors import InvalidValue, LimitReached, NotFound, StateMoved
from .runtime import Clock, ClockSetting
from .state import CONTROLS
from .storage import SharedStorage

if TYPE_CHECKING:
    from .state import Changes, SandboxState

_DURATION = re.compile(r"([+-])?P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
                       r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?", re.IGNORECASE)
UNREAD = object()
MAX_MOVE = timedelta(days=366 * 100)   # past this a datetime overflows soon, and no test needs it


def duration(value: object, field: str = "advance") -> timedelta:
    """An ISO 8601 duration (``P1D``, ``PT90M``, ``-PT1H``, ``P1W``) or a number of seconds, as a timedelta."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        text = value.strip() if isinstance(value, str) else ""
        match = _DURATION.fullmatch(text) if text else None
        if match is None or not any(match.groups()[1:]) or text.upper().endswith("T"):
            raise InvalidValue(f"{field}: {value!r} is not an ISO 8601 duration (P1D, PT2H30M, -PT15M) or a "
                               f"number of seconds", field=field, value=value)
        sign, weeks, days, hours, minutes, secs = match.groups()
        seconds = (float(weeks or 0) * 604_800 + float(days or 0) * 86_400 + float(hours or 0) * 3600
                   + float(minutes or 0) * 60 + float(secs or 0)) * (-1 if sign == "-" else 1)
    if not abs(seconds) <= MAX_MOVE.total_seconds():   # NaN fails too
        raise InvalidValue(f"{field}: {value!r} moves the clock by more than 100 years", field=field, value=value)
    return timedelta(seconds=seconds)


class Controls:
    """The clock's setting and the fault rules, read from the state and changed through it."""

    def __init__(self, state: SandboxState, clock: Clock, seed: int, max_rules: int = 100,
                 start: Collection[faults.FaultRule] = ()) -> None:
        self.state = state
        self.clock = clock
        self.seed = seed
        self.max_rules = max_rules
        self.start = list(start)   # the rules in force while no record says otherwise (the fault_rules setting)
        self.rules: list[faults.FaultRule] = self.start
        self._read: tuple[Any, ClockSetting] = (None, clock.start)   # the record last read, the clock it set
        storage = state.storage
        self.shared = getattr(storage, "shared", False)
        self.version: Any = UNREAD   # on a shared state: the version of the record last read
        if self.shared:
            cast(SharedStorage, storage).watch("controls", CONTROLS, "controls")

    @property
    def reading_needed(self) -> bool:
        """Whether a request must read the controls before it runs: always on a state of this process's (it
        costs no round trip), and on a shared one when they were never read or a rule is in force (its
        firings act before the request reads anything)."""
        return not self.shared or self.version is UNREAD or bool(self.rules)

    def forget(self) -> None:
        """The record last read is no longer the state's (another process changed it): read it again."""
        self.version = UNREAD

    async def _encoded(self) -> Any:
        if self.shared:
            self.version, encoded = await cast(SharedStorage, self.state.storage).read_watched()
            return encoded
        return await self.state.controls.encoded()

    async def refresh(self) -> None:
        """Follow the state: the clock's setting and the rules in force (every request reads them; the record is
        decoded again only when it changed)."""
        try:
            encoded = await self._encoded()
        except StateMoved:
            # Another process reset or replaced the shared state: the request's handler follows it (web/shared.py);
            # the record is read as it is now, whichever generation it belongs to.
            cast(SharedStorage, self.state.storage).generation = None   # only a shared storage moves
            encoded = await self._encoded()
        read = self._read
        if encoded is not read[0] and encoded != read[0]:
            setting, rules = self._decoded(encoded)
            self.rules = rules
            read = self._read = (encoded, setting or self.clock.start)
        self.clock.setting = read[1]

    def _decoded(self, encoded: Any) -> tuple[ClockSetting | None, list[faults.FaultRule]]:
        if encoded is None:
            return None, self.start
        return self.state.controls.decoded(encoded)

    async def _read_in(self, tx: Changes) -> tuple[ClockSetting | None, list[faults.FaultRule]]:
        """The clock's setting and the rules, as a transaction reads them (the start rules where no record)."""
        encoded = await tx.controls.encoded()
        return self._decoded(encoded)

    # ------------------------------------------------------------------ the clock
    async def move_clock(self, to: datetime | None = None, by: timedelta | None = None,
                         frozen: bool | None = None) -> ClockSetting:
        """Set the clock to ``to``, then move it ``by``, then stop it (``frozen``) or let it run on (not
        ``frozen``); what is not given stays as it is."""
        async def change(tx: Changes) -> None:
            wall = self.clock.wall()
            setting, rules = await self._read_in(tx)
            setting = setting or self.clock.start
            try:
                if to is not None:
                    setting = setting.set_to(to, wall)
                if by is not None:
                    setting = setting.advanced(by)
                if frozen is not None:
                    setting = setting.stopped(wall) if frozen else setting.resumed(wall)
                setting.now(wall)
            except OverflowError:
                raise InvalidValue("advance: the clock would leave the years 1 to 9999", field="advance") from None
            tx.controls.write(setting, rules)
        await self.state.atomically(change)
        await self.refresh()
        return self.clock.setting

    async def reset_clock(self) -> ClockSetting:
        """Back to the setting the sandbox started with."""
        async def change(tx: Changes) -> None:
            tx.controls.write(None, (await self._read_in(tx))[1])
        await self.state.atomically(change)
        await self.refresh()
        return self.clock.setting

    # ------------------------------------------------------------------ fault rules
    async def add_rule(self, body: dict, operations: Collection[str]) -> faults.FaultRule:
        """A new rule from an admin request (``faults.new_rule``), applied after the others."""
        rule = faults.new_rule("", body, operations)   # checked before it takes a number
        rule = dataclasses.replace(rule, id=f"rule-{await self.state.next_number('fault_rules')}")

        async def change(tx: Changes) -> None:
            clock, rules = await self._read_in(tx)
            if len(rules) >= self.max_rules:
                raise LimitReached(f"max_fault_rules: the sandbox holds {self.max_rules} fault rules, the most it "
                                   f"may", field="max_fault_rules", value=self.max_rules)
            tx.controls.write(clock, [*rules, rule])
        await self.state.atomically(change)
        return rule

    async def remove_rule(self, rule_id: str) -> None:
        async def change(tx: Changes) -> None:
            clock, rules = await self._read_in(tx)
            kept = [r for r in rules if r.id != rule_id]
            if len(kept) == len(rules):
                raise NotFound(f"rule_id: no fault rule {rule_id!r}", field="rule_id", value=rule_id)
            tx.controls.write(clock, kept)
        await self.state.atomically(change)

    async def clear_rules(self) -> None:
        async def change(tx: Changes) -> None:
            tx.controls.write((await self._read_in(tx))[0], [])
        await self.state.atomically(change)

    async def listed(self) -> list[tuple[faults.FaultRule, int]]:
        """Every rule in force, with how many requests it has matched."""
        rules = (self._decoded(await self.state.controls.encoded()))[1]
        return list(zip(rules, await self.state.storage.counters([f"fault:{r.id}" for r in rules])))

    async def firings(self, operation_id: str) -> list[faults.Firing]:
        """What the rules in force do to a request of ``operation_id`` (each rule counts the requests it matches:
        its draws follow from that count)."""
        fired = []
        for rule in self.rules:
            if rule.matches(operation_id):
                firing = faults.firing(rule, self.seed, await self.state.next_number(f"fault:{rule.id}"))
                if firing is not None:
                    fired.append(firing)
        return fired
