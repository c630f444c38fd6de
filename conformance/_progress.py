"""What a run shows while it goes: progress lines, and on a terminal a rich progress bar per phase.

``Progress`` takes the engine's counts (operations done, cases sent, failures so far) phase by phase. Lines
(``say``) carry the record a log keeps: each phase's start and end with its counts and time, each failure as it
is found, and, when no terminal shows a bar, a line every ``interval`` seconds during a long phase (coverage
can run for tens of seconds). On a terminal (``console``, a ``rich.console.Console``), a bar per phase shows the
same counts live, and the lines print above it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.progress import Progress as Bars, TaskID


class Progress:
    """Counts per phase, said as lines and drawn as rich bars (``console``) while the run goes."""

    def __init__(self, say: Callable[[str], None] | None = None, console: Any = None, interval: float = 10.0):
        self._say = say
        self.interval = interval
        self.phase: str | None = None
        self.total: int | None = None
        self.unit = "operation(s)"
        self.operations = self.cases = self.failures = 0
        self.started = self.last_line = 0.0
        self.bars: Bars | None = None
        self.task: TaskID | None = None
        self.console = console
        if console is not None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bars, TextColumn, TimeElapsedColumn

            self.bars = Bars(TextColumn("[bold]{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[unit]}"), TextColumn("{task.fields[cases]:>6} cases"),
                             TextColumn("{task.fields[failures]} failure(s)"), TimeElapsedColumn(),
                             console=console, transient=False)
            self.bars.start()

    def say(self, line: str) -> None:
        if self.console is not None:
            self.console.print(line, markup=False, highlight=False)
        elif self._say is not None:
            self._say(line)

    # ------------------------------------------------------------------ phases
    def phase_started(self, phase: str, total: int | None, unit: str = "operation(s)") -> None:
        """A phase begins; ``total`` operations to go when known; ``unit`` names what ``advance`` counts."""
        self.phase, self.total, self.unit = phase, total, unit
        self.operations = self.cases = self.failures = 0
        self.started = self.last_line = time.monotonic()
        self.say(f"phase {phase}: started" + (f" ({total} {unit})" if total else ""))
        if self.bars is not None:
            self.task = self.bars.add_task(phase, total=total, cases=0, failures=0, unit=unit)

    def advance(self, operations: int = 0, cases: int = 0, failures: int = 0) -> None:
        """Count ``operations`` more done, ``cases`` more sent, ``failures`` more found, in the current phase."""
        self.operations += operations
        self.cases += cases
        self.failures += failures
        if self.bars is not None and self.task is not None:
            self.bars.update(self.task, completed=self.operations, cases=self.cases, failures=self.failures)
        elif self.phase is not None and time.monotonic() - self.last_line >= self.interval:
            self.last_line = time.monotonic()
            self.say(f"phase {self.phase}: {self.counts()} so far")

    def counts(self) -> str:
        done = f"{self.operations}/{self.total}" if self.total else str(self.operations)
        return (f"{done} {self.unit}, {self.cases} case(s), {self.failures} failure(s), "
                f"{time.monotonic() - self.started:.1f}s")

    def phase_finished(self, status: str, extra: str = "") -> None:
        if self.phase is None:
            return
        if self.bars is not None and self.task is not None:
            done = self.total or self.operations  # a phase of unknown length fills its bar when it ends
            self.bars.update(self.task, total=done, completed=done, cases=self.cases, failures=self.failures)
            self.bars.stop_task(self.task)
        self.say(f"phase {self.phase}: {status}, {self.counts()}" + (f"; {extra}" if extra else ""))
        self.phase, self.task = None, None

    def close(self) -> None:
        """Stop drawing the bars (they stay on the screen as they ended); lines still print."""
        if self.bars is not None:
            self.bars.stop()
            self.bars = None
