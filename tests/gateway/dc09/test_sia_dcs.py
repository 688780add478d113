"""SIA DCS data blocks: `#ACCT|N[id<user>/][ri<area>/]<CODE><zone>[/<CODE><zone>…]`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.dc09 import DataError, SiaDcsEvent


def test_to_data_known_answers() -> None:
    assert SiaDcsEvent("QA", 15, area=1).to_data("1234") == "#1234|Nri1/QA15"
    assert SiaDcsEvent("RP").to_data("1234") == "#1234|NRP"
    assert SiaDcsEvent("BA", 3, area=2, user=12).to_data("abc") == "#ABC|Nid12/ri2/BA3"
    assert SiaDcsEvent("OC", 0, area=0).to_data("1234") == "#1234|Nri0/OC0"


@pytest.mark.parametrize(
    ("data", "account", "events"),
    [
        ("#1234|Nri1/QA15", "1234", (SiaDcsEvent("QA", 15, 1),)),
        ("#1234|NRP", "1234", (SiaDcsEvent("RP"),)),
        (
            "#1234|Nid12/ri2/BA3/BA4",
            "1234",
            (SiaDcsEvent("BA", 3, 2, 12), SiaDcsEvent("BA", 4, 2, 12)),
        ),
        (
            "#1234|Nri1/BA3/ri2/BA4",
            "1234",
            (SiaDcsEvent("BA", 3, 1), SiaDcsEvent("BA", 4, 2)),
        ),
        ("#78919|NFA129", "78919", (SiaDcsEvent("FA", 129),)),
        ("#1234|ri1/QA15", "1234", (SiaDcsEvent("QA", 15, 1),)),  # the N left out
        ("Nri1/QA15", None, (SiaDcsEvent("QA", 15, 1),)),
        ("QA15", None, (SiaDcsEvent("QA", 15),)),
        ("#abcd|Nti10:15/ri1/QA015", "ABCD", (SiaDcsEvent("QA", 15, 1),)),
    ],
)
def test_from_data(data: str, account: str | None, events: tuple[SiaDcsEvent, ...]) -> None:
    assert SiaDcsEvent.from_data(data) == (account, events)


@pytest.mark.parametrize(
    "data",
    [
        "",
        "#1234|",
        "#1234|N",
        "#1234|Nri1/",  # an area but no event
        "#1234|Nri1",
        "#1234|Nqa15",  # lowercase code
        "#1234|NQ15",
        "#1234|NQAB15",
        "#1234|NQA15x",
        "#1234|Nri/QA15",
        "#1234|NriX/QA15",
        "#1234|NQA15//QA16",
        "#1234|NQA12345",  # zone over 4 digits
        "#1234|1101 01 015",  # Contact ID, not SIA
        "#12|NQA15",
    ],
)
def test_from_data_refuses(data: str) -> None:
    with pytest.raises(DataError) as caught:
        SiaDcsEvent.from_data(data)
    assert caught.value.reason == "data"


@pytest.mark.parametrize(
    ("event", "account"),
    [
        (SiaDcsEvent("qa", 1), "1234"),
        (SiaDcsEvent("QAX", 1), "1234"),
        (SiaDcsEvent("QA", 10000), "1234"),
        (SiaDcsEvent("QA", -1), "1234"),
        (SiaDcsEvent("QA", 1, area=10000), "1234"),
        (SiaDcsEvent("QA", 1, user=-5), "1234"),
        (SiaDcsEvent("QA", 1), "12"),
    ],
)
def test_to_data_refuses(event: SiaDcsEvent, account: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        event.to_data(account)


optional_number = st.none() | st.integers(0, 9999)


@given(
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    optional_number,
    optional_number,
    optional_number,
    st.text("0123456789ABCDEF", min_size=3, max_size=16),
)
def test_round_trip(
    code: str, zone: int | None, area: int | None, user: int | None, account: str
) -> None:
    event = SiaDcsEvent(code, zone, area, user)
    assert SiaDcsEvent.from_data(event.to_data(account)) == (account, (event,))
