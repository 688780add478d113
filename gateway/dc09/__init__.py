"""SIA DC-09 codec (docs/dc09.md): frames, CRC, AES, Contact ID and SIA DCS data blocks.

Protocol only: no Home Assistant, no asyncio.
"""

from __future__ import annotations

from .codes import (
    CANCEL,
    MANUAL_TEST,
    PERIODIC_TEST,
    REPORT_CODES,
    ReportCode,
    kind_of_contact_id,
    kind_of_sia,
)
from .contact_id import ContactIdEvent, Qualifier
from .crc import crc16
from .errors import (
    CrcError,
    DataError,
    Dc09Error,
    DecryptError,
    FramingError,
    LengthError,
    MissingKeyError,
    TimestampError,
)
from .frame import (
    MAX_FRAME_BYTES,
    Frame,
    MessageId,
    ack_for,
    decode_frame,
    duh_for,
    encode_frame,
    format_timestamp,
    nak,
    parse_timestamp,
)
from .sia_dcs import SiaDcsEvent

__all__ = [
    "CANCEL",
    "MANUAL_TEST",
    "MAX_FRAME_BYTES",
    "PERIODIC_TEST",
    "REPORT_CODES",
    "ContactIdEvent",
    "CrcError",
    "DataError",
    "Dc09Error",
    "DecryptError",
    "Frame",
    "FramingError",
    "LengthError",
    "MessageId",
    "MissingKeyError",
    "Qualifier",
    "ReportCode",
    "SiaDcsEvent",
    "TimestampError",
    "ack_for",
    "crc16",
    "decode_frame",
    "duh_for",
    "encode_frame",
    "format_timestamp",
    "kind_of_contact_id",
    "kind_of_sia",
    "nak",
    "parse_timestamp",
]
