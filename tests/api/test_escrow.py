"""Drawing a match from sharded escrow (sub-pools, cap shards): exact, never over a shard."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.escrow import Escrow, split


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=40), st.integers(1, 50_000), st.integers(0, 1000))
def test_a_plan_takes_exactly_the_amount_and_never_more_than_a_shard_holds(
    remaining: list[int], amount: int, seed: int
) -> None:
    escrow = Escrow(remaining=remaining, granted=list(remaining))
    preferred = seed % len(remaining)
    plan = escrow.plan(amount, preferred)
    if sum(remaining) < amount:
        assert plan is None
        return
    assert plan is not None
    assert sum(take for _, take in plan) == amount
    assert all(0 < take <= remaining[s] for s, take in plan)
    assert len({s for s, _ in plan}) == len(plan)


def test_near_the_end_draws_spread_over_shards_instead_of_the_fullest() -> None:
    escrow = Escrow(remaining=[0, 500, 500, 900], granted=[1000] * 4)
    assert escrow.plan(400, 0) == [(1, 400)]
    assert escrow.plan(400, 1) == [(1, 400)]
    assert escrow.plan(400, 2) == [(2, 400)]
    assert escrow.plan(1500, 0) == [(3, 900), (1, 500), (2, 100)]


@given(st.integers(0, 10**12), st.integers(1, 64))
def test_split_is_exact_and_even(total: int, parts: int) -> None:
    shares = split(total, parts)
    assert sum(shares) == total and max(shares) - min(shares) <= 1 and len(shares) == parts
