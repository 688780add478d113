"""ULIDs sort in the order they were minted, also within one millisecond: residents, alarms
and messages made in a burst keep the order they were made in (lists ordered by id)."""

from __future__ import annotations

import threading

from gateway.ulid import is_ulid, new_ulid


def test_ids_minted_in_one_millisecond_sort_in_mint_order() -> None:
    minted = [new_ulid(now_ms=1_700_000_000_000) for _ in range(1_000)]
    assert sorted(minted) == minted
    assert len(set(minted)) == len(minted)
    assert all(is_ulid(i) and i.startswith(minted[0][:10]) for i in minted)


def test_a_later_millisecond_sorts_after_and_an_earlier_clock_never_reuses_an_id() -> None:
    first = new_ulid(now_ms=1_700_000_000_500)
    later = new_ulid(now_ms=1_700_000_000_501)
    assert first < later
    # A clock that steps back still mints a fresh id (its own time, new randomness).
    earlier = new_ulid(now_ms=1_700_000_000_100)
    assert earlier not in {first, later}
    assert earlier[:10] < first[:10]


def test_threads_minting_at_once_get_distinct_ids() -> None:
    found: list[str] = []
    lock = threading.Lock()

    def mint() -> None:
        ids = [new_ulid(now_ms=1_700_000_000_900) for _ in range(500)]
        with lock:
            found.extend(ids)

    threads = [threading.Thread(target=mint) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 2_000
