"""`make bench` (`python -m bench`): measured numbers, printed. Later issues add theirs here.

codecs (bench/codecs.py), in this process, ~10 s: our Bluetooth SIG health decoders
              (gateway/ble/) beside the bluetooth-sig package (0.6.0) on the same bytes: a
              seeded corpus built with our encoders (units, optional fields, RR lists, special
              values) plus trap payloads. Decodes/s and ns/decode per characteristic and in
              total (median of repeats after a warm-up); field-by-field agreement on valid
              inputs, the classes of differences with one example each and why ours follows
              the GATT Specification Supplement, bluetooth-sig's exceptions per type.
              Differences never fail `make bench`; our decoder raising anything but
              BleDecodeError (corpus, traps, fuzzed payloads) or a broken round trip does.
              Findings: docs/ble-codecs-vs-bluetooth-sig.md. `--no-codecs` skips it.

Link (bench/link.py), each against a real hub process (`python -m hub`) on 127.0.0.1:
  hub-ingest  N gateways on their own WebSockets pipeline signed alarm.raised / vital / heartbeat
              envelopes; acked messages/s (acks follow the durable group commit), ack latency,
              hub CPU and memory, and the store holds exactly what was acked.
  hub-idle    5,000 gateways connected at once, heartbeating: connect time, hub CPU and memory,
              no false link_lost.
  link-loss   gateway processes SIGKILLed at random moments: time until the dispatch feed shows
              link_lost.

dispatch-live (bench/dispatch.py), against a real hub process: 100 dispatch screens on
              the live feed while 1,000 alarm.raised/min arrive from 1,000 gateways for 60 s;
              commit -> visible on every screen p50/p99 (target p99 < 250 ms), no missed
              deliveries (else `make bench` fails), hub CPU and memory.

services-beside-alarms (bench/services.py), ~4 min, against real hub processes: the alarm
              commit -> screen p50/p90/p99/max with and without 1,000 service.requested/min
              beside 1,000 alarm.raised/min (issue 20: B's p99 within 10 % of A's), the lanes
              alternating in windows of each run so both share the machine's noise; the
              service ingest rate beside the alarms and in a pipelined burst. A lost alarm or
              request fails `make bench`; the verdict is printed. `--no-services` skips it.

dc09 (bench/dc09.py), ~50 s: SIA DC-09, ours beside pysiaalarm on the same machine in the
              same run, plain and AES-128 ADM-CID frames. Receiver logic in this process
              (Dc09Receiver.check vs pysiaalarm's parse, checks/s); receiver over TCP: our hub
              (`python -m hub --dc09-port`, an ACK follows the durable store) and pysiaalarm's
              SIAClient, each in its own process, under N one-in-flight panel connections from
              a load process: ACKed events/s, ACK latency p50/p99, receiver CPU; sender: our
              ArcSender draining K queued events (each durable put timed) to each receiver,
              beside a naive raw-socket loop without queue or durability. Lost, duplicated or
              refused events, or an answer that is not the ACK sent for, fail `make bench`
              (the hub's store and pysiaalarm's callbacks must match the ACKs exactly).
              `--no-dc09` skips it.

gas-to-valve: in a real Home Assistant, gas detector state change -> valve close command, for
our built-in rule and for a plain YAML automation, interleaved in the same run
              (bench/test_gas_reaction.py, under pytest). `--no-gas` skips it.

Each section also runs alone, its flags without their prefix: `python -m bench.dc09 --events 20`.
The hub under load is bench/harness.py's; bench/args.py, sampling.py, stats.py and workers.py
are what the sections share.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from . import args, codecs, dc09, dispatch, link, services

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = args.parser("bench", __doc__)
    link.add_arguments(parser)
    dispatch.add_arguments(parser)
    codecs.add_arguments(parser)
    services.add_arguments(parser)
    dc09.add_arguments(parser)
    parser.add_argument("--no-codecs", action="store_true", help="skip codecs")
    parser.add_argument("--no-dispatch", action="store_true", help="skip dispatch-live")
    parser.add_argument("--no-services", action="store_true", help="skip services-beside-alarms")
    parser.add_argument("--no-dc09", action="store_true", help="skip dc09")
    parser.add_argument("--no-gas", action="store_true", help="skip gas-to-valve")
    chosen = parser.parse_args()
    codecs_ok = True
    if not chosen.no_codecs:
        # First: CPU-bound and in this process, so no hub or load generator competes with it.
        codecs_ok = codecs.run(chosen)
        print()
    link.run(chosen)
    delivered = True
    if not chosen.no_dispatch:
        print()
        delivered = dispatch.run(chosen)
    services_ok = True
    if not chosen.no_services:
        print()
        services_ok = services.run(chosen)
    dc09_ok = True
    if not chosen.no_dc09:
        print()
        dc09_ok = dc09.run(chosen)
    if not chosen.no_gas:
        gas_to_valve()
    if not delivered:
        raise SystemExit(dispatch.FAILURE)
    if not services_ok:
        raise SystemExit(services.FAILURE)
    if not codecs_ok:
        raise SystemExit(codecs.FAILURE)
    if not dc09_ok:
        raise SystemExit(dc09.FAILURE)


def gas_to_valve() -> None:
    """Needs a real Home Assistant, so it runs under the test harness (bench/).

    The harness logs Home Assistant at INFO on stderr, some 600 lines here: that log is kept and
    shown only when the run fails, so the section prints its figures alone.
    """
    print()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "bench/test_gas_reaction.py",
            "-qq",
            "-s",
            "-p",
            "no:randomly",
        ],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    # With -qq -s, stdout holds the test's figures, blank lines and pytest's progress dot.
    figures = [line for line in run.stdout.splitlines() if line.strip(". ")]
    if run.returncode != 0:
        print(run.stdout, end="")
        print(run.stderr, end="", file=sys.stderr)
        raise SystemExit(f"gas-to-valve: the benchmark failed (exit {run.returncode}, log above)")
    print("\n".join(figures))


if __name__ == "__main__":
    main()
