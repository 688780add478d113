"""A virtual alarm panel: one SIA DC-09 event to the hub's panel listener, and its answer.

python -m gateway.sim panel fire                  (Contact ID 1111, zone 001, to 127.0.0.1:12300)
python -m gateway.sim panel fire restore --zone 3
python -m gateway.sim panel sos --account 5678 --key 000102030405060708090A0B0C0D0E0F

The way an existing panel in a home reaches the care center; the demo maps its account to the
demo household, so its events appear on the dispatch screen as that household's.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
from datetime import UTC, datetime

from ..alarms import AlarmKind
from ..dc09 import (
    REPORT_CODES,
    ContactIdEvent,
    Dc09Error,
    Frame,
    MessageId,
    Qualifier,
    decode_frame,
    encode_frame,
)

DEFAULT_PANEL_PORT = 12300
DEFAULT_PANEL_ACCOUNT = "5678"


def panel_frame(
    kind: AlarmKind, *, restore: bool, zone: int, account: str, key: bytes | None
) -> bytes:
    event = ContactIdEvent(
        Qualifier.RESTORE if restore else Qualifier.NEW, REPORT_CODES[kind].contact_id, 1, zone
    )
    frame = Frame(
        MessageId.ADM_CID,
        # A panel numbers its messages; any number in range is fine for one event.
        sequence=secrets.randbelow(9999) + 1,
        account=account,
        data=event.to_data(account),
        timestamp=datetime.now(UTC).replace(microsecond=0),
        encrypted=key is not None,
    )
    return encode_frame(frame, key)


async def send_panel_event(host: str, port: int, frame: bytes, key: bytes | None) -> str:
    """Send over TCP and say what the receiver answered (ACK, NAK or DUH)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(frame)
        await writer.drain()
        answer = await asyncio.wait_for(reader.readuntil(b"\r"), timeout=10)
    finally:
        writer.close()
    try:
        return decode_frame(answer, lambda _account: key).id.value
    except Dc09Error as err:
        return f"an unreadable answer ({err.reason})"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.sim panel")
    parser.add_argument("kind", choices=[k.value for k in AlarmKind])
    parser.add_argument("restore", nargs="?", choices=["restore"], help="the condition is gone")
    parser.add_argument("--zone", type=int, default=1)
    parser.add_argument("--account", default=DEFAULT_PANEL_ACCOUNT)
    parser.add_argument("--key", help="AES key in hex, when the account encrypts")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PANEL_PORT)
    options = parser.parse_args(argv)
    key = bytes.fromhex(options.key) if options.key else None
    frame = panel_frame(
        AlarmKind(options.kind),
        restore=options.restore is not None,
        zone=options.zone,
        account=options.account,
        key=key,
    )
    try:
        answer = asyncio.run(send_panel_event(options.host, options.port, frame, key))
    except (OSError, TimeoutError) as err:
        print(f"no panel listener at {options.host}:{options.port}: {err}")
        return 1
    what = f"{options.kind} restore" if options.restore else options.kind
    print(f"panel {options.account}: {what} -> {answer}")
    return 0 if answer == "ACK" else 2
