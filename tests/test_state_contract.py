"""The state port's contract (tests/state_contract.py) on the in-memory storages: encoded, and deep-copied."""
import pytest

from cartwright.sandbox.state import MemoryStorage
from state_contract import *  # noqa: F401,F403 - the contract's tests run here


@pytest.fixture(params=["bytes", "copies"])
def storage(request):
    """A fresh in-memory storage, keeping records encoded or as deep copies."""
    return MemoryStorage(encoding=request.param)


@pytest.mark.parametrize("fail_at", [1, 2, 3])
def test_a_commit_failing_part_way_applies_nothing(monkeypatch, fail_at):
    """If applying a transaction's writes fails at any write, the ones applied before are undone."""
    import asyncio

    storage = MemoryStorage()
    original, applied = storage._apply, []

    def failing(*args):
        applied.append(args[:3])
        if len(applied) == fail_at:
            raise RuntimeError("disk on fire")
        return original(*args)

    async def scenario():
        async def seed(tx):
            tx.put("t", "p", "a", 1)
        await storage.atomically(seed)
        monkeypatch.setattr(storage, "_apply", failing)

        async def change(tx):
            tx.put("t", "p", "a", 2)
            tx.put("t", "q", "b", 3)
            tx.put("t", "p", "c", 4)
        with pytest.raises(RuntimeError):
            await storage.atomically(change)
        assert await storage.items("t", "p") == {"a": 1} and await storage.items("t", "q") == {}
        assert len(applied) == fail_at

    asyncio.run(scenario())
