"""`python -m provisioning`: the care center's community CA, from the shell.

python -m provisioning init --dir DIR [--name "Community name"]
    create the community CA; prints its fingerprint
python -m provisioning issue-hub-cert --dir DIR --host H [--host H ...] [--out PREFIX]
    the hub's TLS certificate chain and key: PREFIX.pem, PREFIX.key (default DIR/hub)
python -m provisioning fingerprint --dir DIR
    print the CA fingerprint
python -m provisioning enrollment-payload --dir DIR --hub URL --code CODE
    print the text to encode in a household's enrollment QR code

Output meant for scripts goes to stdout; notes for the person go to stderr. Errors are one line on
stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import ca, qr


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m provisioning", description="Eldercare community CA and enrollment"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="create the community CA; prints its fingerprint")
    init.add_argument("--dir", type=Path, required=True, help="directory for ca.pem and ca.key")
    init.add_argument("--name", default=ca.DEFAULT_CA_NAME, help="community name in the CA")

    issue = commands.add_parser("issue-hub-cert", help="issue the hub's TLS certificate")
    issue.add_argument("--dir", type=Path, required=True, help="the CA directory")
    issue.add_argument(
        "--host",
        action="append",
        required=True,
        help="DNS name or IP address gateways use to reach the hub (repeat for several)",
    )
    issue.add_argument(
        "--out",
        type=Path,
        help=f"write PREFIX.pem and PREFIX.key (default: DIR/{ca.DEFAULT_HUB_PREFIX})",
    )

    fingerprint = commands.add_parser("fingerprint", help="print the CA fingerprint")
    fingerprint.add_argument("--dir", type=Path, required=True, help="the CA directory")

    payload = commands.add_parser("enrollment-payload", help="print the enrollment QR code's text")
    payload.add_argument("--dir", type=Path, required=True, help="the CA directory")
    payload.add_argument("--hub", required=True, help="hub URL, e.g. https://hub.example:8443")
    payload.add_argument("--code", required=True, help="code from `python -m hub enrollment-code`")
    return parser


def _run(args: argparse.Namespace) -> None:
    if args.command == "init":
        community = ca.init_ca(args.dir, args.name)
        print(community.fingerprint)
        print(
            f"Created the community CA in {args.dir}. Keep {ca.CA_KEY_FILE} secret and backed up:"
            " every gateway will trust it.",
            file=sys.stderr,
        )
    elif args.command == "issue-hub-cert":
        issued = ca.issue_hub_cert(args.dir, args.host, args.out)
        print(issued.cert_path)
        print(issued.key_path)
        print(
            f"Hub certificate valid until {issued.cert.not_valid_after_utc:%Y-%m-%d};"
            f" start the hub with --tls-cert {issued.cert_path} --tls-key {issued.key_path}",
            file=sys.stderr,
        )
    elif args.command == "fingerprint":
        print(ca.certificate_fingerprint(ca.load_ca_certificate(args.dir)))
    elif args.command == "enrollment-payload":
        fingerprint = ca.certificate_fingerprint(ca.load_ca_certificate(args.dir))
        print(qr.build_enrollment_payload(args.hub, fingerprint, args.code))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _run(args)
    except (ca.CaError, qr.QrPayloadError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # e.g. a full disk: still one line, never a traceback
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
