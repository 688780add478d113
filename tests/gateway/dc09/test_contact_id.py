"""Contact ID data blocks: `#ACCT|QEEE GG ZZZ`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.dc09 import ContactIdEvent, DataError, Qualifier


def test_to_data_known_answer() -> None:
    event = ContactIdEvent(Qualifier.NEW, 101, group=1, zone=15)
    assert event.to_data("1234") == "#1234|1101 01 015"
    assert ContactIdEvent(Qualifier.RESTORE, 7, 0, 0).to_data("abc") == "#ABC|3007 00 000"


def test_defaults() -> None:
    assert ContactIdEvent(Qualifier.STATUS, 602).to_data("1234") == "#1234|6602 01 000"


def test_from_data_known_answer() -> None:
    account, event = ContactIdEvent.from_data("#1234|1101 01 015")
    assert account == "1234"
    assert event == ContactIdEvent(Qualifier.NEW, 101, 1, 15)
    assert isinstance(event.qualifier, Qualifier)


def test_from_data_without_account() -> None:
    assert ContactIdEvent.from_data("3384 02 999") == (
        None,
        ContactIdEvent(Qualifier.RESTORE, 384, 2, 999),
    )


def test_from_data_normalises_account() -> None:
    assert ContactIdEvent.from_data("#abcd|1101 01 015")[0] == "ABCD"


@pytest.mark.parametrize(
    "data",
    [
        "",
        "#1234|",
        "#1234|2101 01 015",  # qualifier 2 does not exist
        "#1234|11A1 01 015",  # hex event code
        "#1234|1101 0A 015",
        "#1234|1101 01 01B",
        "#1234|1101 1 015",
        "#1234|1101  01 015",
        "#1234|1101 01 015 ",
        "#1234|1101-01-015",
        "#12|1101 01 015",  # account too short
        "1234|1101 01 015",  # account without '#'
        "#1234 1101 01 015",
        "#1234|NRP",
        "#1234|\u0661101 01 015",  # a non-ASCII digit
    ],
)
def test_from_data_refuses(data: str) -> None:
    with pytest.raises(DataError) as caught:
        ContactIdEvent.from_data(data)
    assert caught.value.reason == "data"


@pytest.mark.parametrize(
    ("event", "account"),
    [
        (ContactIdEvent(Qualifier.NEW, 1000), "1234"),
        (ContactIdEvent(Qualifier.NEW, -1), "1234"),
        (ContactIdEvent(Qualifier.NEW, 101, group=100), "1234"),
        (ContactIdEvent(Qualifier.NEW, 101, zone=1000), "1234"),
        (ContactIdEvent(Qualifier.NEW, 101), "12"),
        (ContactIdEvent(Qualifier.NEW, 101), "XYZ1"),
    ],
)
def test_to_data_refuses(event: ContactIdEvent, account: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        event.to_data(account)


@given(
    st.sampled_from(Qualifier),
    st.integers(0, 999),
    st.integers(0, 99),
    st.integers(0, 999),
    st.text("0123456789ABCDEF", min_size=3, max_size=16),
)
def test_round_trip(qualifier: Qualifier, code: int, group: int, zone: int, account: str) -> None:
    event = ContactIdEvent(qualifier, code, group, zone)
    assert ContactIdEvent.from_data(event.to_data(account)) == (account, event)
