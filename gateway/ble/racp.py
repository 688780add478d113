"""Record Access Control Point (0x2A52), as used by the Glucose and PLX services.

Every value is: op code uint8 | operator uint8 | operand (0..n bytes).
Requests the collector writes: report stored records (all / greater than or equal to a
sequence number, filter type 0x01 + uint16), report number of stored records, abort.
Indications the device sends back: number of stored records (op code 0x05, operator Null,
uint16 count) and response code (op code 0x06, operator Null, request op code + code value).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from gateway.ble._reader import Reader, Writer
from gateway.ble.errors import BleEncodeError

RACP = "Record Access Control Point"


class RacpOpcode(IntEnum):
    REPORT_STORED_RECORDS = 0x01
    DELETE_STORED_RECORDS = 0x02
    ABORT_OPERATION = 0x03
    REPORT_NUMBER_OF_STORED_RECORDS = 0x04
    NUMBER_OF_STORED_RECORDS_RESPONSE = 0x05
    RESPONSE_CODE = 0x06


class RacpOperator(IntEnum):
    NULL = 0x00
    ALL_RECORDS = 0x01
    LESS_THAN_OR_EQUAL_TO = 0x02
    GREATER_THAN_OR_EQUAL_TO = 0x03
    WITHIN_RANGE_OF = 0x04
    FIRST_RECORD = 0x05
    LAST_RECORD = 0x06


class RacpFilterType(IntEnum):
    SEQUENCE_NUMBER = 0x01
    USER_FACING_TIME = 0x02


class RacpResponseCode(IntEnum):
    """Response Code Values; codes the spec has not defined decode to RESERVED."""

    RESERVED = 0x00
    SUCCESS = 0x01
    OP_CODE_NOT_SUPPORTED = 0x02
    INVALID_OPERATOR = 0x03
    OPERATOR_NOT_SUPPORTED = 0x04
    INVALID_OPERAND = 0x05
    NO_RECORDS_FOUND = 0x06
    ABORT_UNSUCCESSFUL = 0x07
    PROCEDURE_NOT_COMPLETED = 0x08
    OPERAND_NOT_SUPPORTED = 0x09


@dataclass(frozen=True, slots=True)
class RacpNumberOfRecords:
    """Number of Stored Records response (op code 0x05)."""

    count: int


@dataclass(frozen=True, slots=True)
class RacpResponse:
    """Response Code (op code 0x06): the outcome of the request with ``request_opcode``.

    ``request_opcode`` is a ``RacpOpcode`` when known, else the raw byte.
    """

    request_opcode: int
    code: RacpResponseCode

    @property
    def success(self) -> bool:
        return self.code is RacpResponseCode.SUCCESS


@dataclass(frozen=True, slots=True)
class RacpRequest:
    """A request as written by a collector (for simulated devices that must answer it).

    ``operand`` is the raw operand bytes; ``min_sequence`` is filled for
    "greater than or equal to sequence number" requests.
    """

    opcode: int
    operator: int
    operand: bytes = b""

    @property
    def min_sequence(self) -> int | None:
        if (
            self.operator == RacpOperator.GREATER_THAN_OR_EQUAL_TO
            and len(self.operand) == 3
            and self.operand[0] == RacpFilterType.SEQUENCE_NUMBER
        ):
            return int.from_bytes(self.operand[1:3], "little")
        return None


def _opcode(raw: int) -> int:
    try:
        return RacpOpcode(raw)
    except ValueError:
        return raw


def _operator(raw: int) -> int:
    try:
        return RacpOperator(raw)
    except ValueError:
        return raw


def encode_report_all_records() -> bytes:
    """Report stored records, operator All records."""
    return bytes((RacpOpcode.REPORT_STORED_RECORDS, RacpOperator.ALL_RECORDS))


def encode_report_records_from(sequence: int) -> bytes:
    """Report stored records with sequence number >= ``sequence`` (uint16)."""
    if not 0 <= sequence <= 0xFFFF:
        raise BleEncodeError(RACP, f"sequence number {sequence} outside 0..65535")
    return bytes(
        (
            RacpOpcode.REPORT_STORED_RECORDS,
            RacpOperator.GREATER_THAN_OR_EQUAL_TO,
            RacpFilterType.SEQUENCE_NUMBER,
        )
    ) + sequence.to_bytes(2, "little")


def encode_report_number_of_records() -> bytes:
    """Report number of stored records, operator All records."""
    return bytes((RacpOpcode.REPORT_NUMBER_OF_STORED_RECORDS, RacpOperator.ALL_RECORDS))


def encode_abort() -> bytes:
    """Abort operation (operator Null, no operand)."""
    return bytes((RacpOpcode.ABORT_OPERATION, RacpOperator.NULL))


def decode_racp_request(data: bytes | bytearray) -> RacpRequest:
    """Decode a request written to the RACP (op code, operator, raw operand)."""
    reader = Reader(data, RACP)
    opcode = _opcode(reader.u8("op code"))
    operator = reader.u8("operator")
    operand = reader.take(reader.remaining, "operand")
    # An unknown operator stays a raw int: the device answers "invalid operator", decoding
    # the request is not an error.
    return RacpRequest(opcode, _operator(operator), operand)


def encode_racp_request(value: RacpRequest) -> bytes:
    """Encode a request (op code, operator, operand)."""
    writer = Writer(RACP)
    writer.u8(value.opcode, "op code")
    writer.u8(value.operator, "operator")
    writer.raw(value.operand)
    return writer.bytes()


def decode_racp_response(data: bytes | bytearray) -> RacpNumberOfRecords | RacpResponse:
    """Decode an RACP indication: number of stored records or a response code."""
    reader = Reader(data, RACP)
    opcode = reader.u8("op code")
    operator = reader.u8("operator")
    if operator != RacpOperator.NULL:
        raise reader.fail(f"response operator must be Null (0x00), got {operator:#04x}")
    result: RacpNumberOfRecords | RacpResponse
    if opcode == RacpOpcode.NUMBER_OF_STORED_RECORDS_RESPONSE:
        result = RacpNumberOfRecords(reader.u16("number of records"))
    elif opcode == RacpOpcode.RESPONSE_CODE:
        request = _opcode(reader.u8("request op code"))
        raw_code = reader.u8("response code value")
        try:
            code = RacpResponseCode(raw_code)
        except ValueError:
            code = RacpResponseCode.RESERVED
        result = RacpResponse(request, code)
    else:
        raise reader.fail(f"op code {opcode:#04x} is not a response")
    reader.end()
    return result


def encode_racp_response(value: RacpNumberOfRecords | RacpResponse) -> bytes:
    """Encode an RACP indication (what a device sends)."""
    writer = Writer(RACP)
    if isinstance(value, RacpNumberOfRecords):
        writer.u8(RacpOpcode.NUMBER_OF_STORED_RECORDS_RESPONSE, "op code")
        writer.u8(RacpOperator.NULL, "operator")
        writer.u16(value.count, "number of records")
    else:
        writer.u8(RacpOpcode.RESPONSE_CODE, "op code")
        writer.u8(RacpOperator.NULL, "operator")
        writer.u8(value.request_opcode, "request op code")
        writer.u8(value.code, "response code value")
    return writer.bytes()
