"""The community CA: one self-signed root per care center, and the hub's TLS certificate under it.

A gateway trusts exactly one CA, pinned by fingerprint at enrollment (the fingerprint travels in
the enrollment QR code). So the CA is small and local: an ECDSA P-256 key in a PEM file that never
leaves the admin's machine, and a certificate that may be copied anywhere.

Files in the CA directory (mode 0o700 when this module creates it):

    ca.key   CA private key, PKCS#8 PEM, mode 0o600, created with O_EXCL so it is never replaced
    ca.pem   CA certificate, PEM
    hub.key  hub TLS private key (default --out prefix "hub"), mode 0o600
    hub.pem  hub TLS certificate followed by the CA certificate (a full chain, ready to serve)

Fingerprint format: SHA-256 of the certificate's DER, 64 lowercase hex digits without separators
(what `sha256sum` prints for the DER file). `parse_fingerprint` also takes the colon-grouped form
`openssl x509 -noout -fingerprint -sha256` prints, in either case.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca.key"
DEFAULT_HUB_PREFIX = "hub"
DEFAULT_CA_NAME = "Eldercare community"

CA_VALIDITY = timedelta(days=3652)  # ~10 years: replacing it means re-enrolling every gateway
HUB_VALIDITY = timedelta(days=730)  # ~2 years: re-issuing is one command and a hub restart
# Certificates start a little in the past so a gateway whose clock lags still accepts them.
BACKDATE = timedelta(minutes=5)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_COLON_PAIRS = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){31}")
_DNS_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_MAX_CN = 64  # RFC 5280 upper bound for commonName


class CaError(Exception):
    """Base of everything this module raises; the message says what to do."""


class CaExists(CaError):
    """A CA is already in the directory; it is never overwritten."""


class CaNotFound(CaError):
    """No CA in the directory: run `init` first, or point --dir at the right one."""


class CaInvalid(CaError):
    """The CA files are unreadable, corrupt, mismatched or expired."""


class CertificateExists(CaError):
    """The hub certificate or key file is already there; it is never overwritten."""


class InvalidHost(CaError):
    """A --host is neither a DNS name nor an IP address."""


class InvalidName(CaError):
    """The community name cannot be a certificate subject."""


class FingerprintFormatError(CaError, ValueError):
    """The text is not a SHA-256 fingerprint (64 hex digits, optionally colon-grouped)."""


class CertificateFormatError(CaError, ValueError):
    """The bytes are not exactly one PEM certificate."""


@dataclass(frozen=True, slots=True)
class CommunityCa:
    """A loaded CA: its certificate and the key that signs with it."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey = field(repr=False)

    @property
    def fingerprint(self) -> str:
        return certificate_fingerprint(self.cert)

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    """Where `issue_hub_cert` wrote the hub's certificate chain and key."""

    cert_path: Path
    key_path: Path
    cert: x509.Certificate


# --- fingerprints ---------------------------------------------------------------------------


def certificate_fingerprint(cert: x509.Certificate) -> str:
    """The canonical fingerprint: SHA-256 of the DER, 64 lowercase hex digits."""
    return cert.fingerprint(hashes.SHA256()).hex()


def pem_fingerprint(pem: bytes) -> str:
    """The fingerprint of the single certificate in `pem` (CertificateFormatError otherwise)."""
    return certificate_fingerprint(load_single_certificate(pem))


def parse_fingerprint(text: str) -> str:
    """The canonical form of a fingerprint typed or pasted in either accepted form."""
    cleaned = text.strip().lower()
    if _HEX64.fullmatch(cleaned):
        return cleaned
    if _COLON_PAIRS.fullmatch(cleaned):
        return cleaned.replace(":", "")
    raise FingerprintFormatError(
        "a CA fingerprint is 64 hex digits (SHA-256), with or without colons between pairs;"
        " copy it from `python -m provisioning fingerprint --dir DIR`"
    )


def load_single_certificate(pem: bytes) -> x509.Certificate:
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as err:
        raise CertificateFormatError(f"not a PEM certificate: {err}") from err
    if len(certs) != 1:
        raise CertificateFormatError(f"expected one PEM certificate, found {len(certs)}")
    return certs[0]


# --- creating and loading the CA ------------------------------------------------------------


def new_community_ca(name: str = DEFAULT_CA_NAME, now: datetime | None = None) -> CommunityCa:
    """A fresh CA in memory; `init_ca` is what stores one."""
    name = name.strip()
    if not name or len(name) > _MAX_CN:
        raise InvalidName(f"the community name must be 1 to {_MAX_CN} characters")
    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Eldercare community CA"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + CA_VALIDITY)
        # pathlen 0: the CA signs hub certificates only, never another CA.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return CommunityCa(cert=cert, key=key)


def init_ca(
    directory: Path, name: str = DEFAULT_CA_NAME, now: datetime | None = None
) -> CommunityCa:
    """Create the CA in `directory`; CaExists if there is one (or half of one) already."""
    ca = new_community_ca(name, now)
    cert_path, key_path = directory / CA_CERT_FILE, directory / CA_KEY_FILE
    _make_private_dir(directory)
    if cert_path.exists() or key_path.exists():
        raise CaExists(
            f"{directory} already holds a community CA; it is never overwritten because every"
            " enrolled gateway trusts it. Use another --dir for a new community."
        )
    try:
        # The key goes first and with O_EXCL: if two inits race, exactly one wins.
        _write_new(key_path, _private_pem(ca.key), 0o600)
    except FileExistsError as err:
        raise CaExists(f"{key_path} appeared while creating the CA; not touching it") from err
    try:
        _write_new(cert_path, ca.cert_pem, 0o644)
    except (OSError, CaError):
        key_path.unlink(missing_ok=True)  # a key without its certificate is useless
        raise
    return ca


def load_ca(directory: Path) -> CommunityCa:
    """The CA stored in `directory`, checked to be whole, matching and not expired."""
    cert_path, key_path = directory / CA_CERT_FILE, directory / CA_KEY_FILE
    if not cert_path.exists() and not key_path.exists():
        raise CaNotFound(
            f"no community CA in {directory}: run `python -m provisioning init --dir {directory}`"
            " first, or point --dir at the directory that holds ca.pem and ca.key"
        )
    if not cert_path.exists():
        raise CaInvalid(f"{cert_path} is missing but {key_path} is there: restore it from backup")
    cert = load_ca_certificate(directory)
    key_pem = _read(key_path)
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as err:
        raise CaInvalid(f"{key_path} is not an unencrypted PEM private key: {err}") from err
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CaInvalid(f"{key_path} is not an ECDSA key")
    if key.public_key() != cert.public_key():
        raise CaInvalid(f"{key_path} does not belong to {cert_path}: restore the matching pair")
    return CommunityCa(cert=cert, key=key)


def load_ca_certificate(directory: Path) -> x509.Certificate:
    """Only the CA certificate (no key needed), e.g. to print its fingerprint."""
    path = directory / CA_CERT_FILE
    if not path.exists():
        raise CaNotFound(
            f"no {CA_CERT_FILE} in {directory}: run `python -m provisioning init --dir"
            f" {directory}` first, or point --dir at the CA directory"
        )
    try:
        return load_single_certificate(_read(path))
    except CertificateFormatError as err:
        raise CaInvalid(f"{path}: {err}") from err


# --- the hub's TLS certificate --------------------------------------------------------------


def parse_host(text: str) -> x509.GeneralName:
    """A --host as the right SAN type: IPAddress for addresses, DNSName for names."""
    host = text.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]  # IPv6 as written in URLs
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            raise InvalidHost(f"{text!r}: a certificate cannot name a zoned IPv6 address")
        return x509.IPAddress(address)
    name = host.lower().removesuffix(".")
    labels = name.split(".")
    # An all-digit last label is a mistyped address (10.0.0.256, 127.1), never a real name.
    if (
        len(name) > 253
        or not all(_DNS_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise InvalidHost(
            f"{text!r} is not a host name or IP address; give what gateways put in the hub URL,"
            " like hub.example.org or 192.0.2.10 (no scheme, port or path;"
            " international names in their xn-- form)"
        )
    return x509.DNSName(name)


def new_hub_certificate(
    ca: CommunityCa, hosts: Sequence[str], now: datetime | None = None
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A hub server certificate and its key, in memory; `issue_hub_cert` stores them."""
    names: list[x509.GeneralName] = []
    for host in hosts:
        if (name := parse_host(host)) not in names:
            names.append(name)
    if not names:
        raise InvalidHost("give at least one --host: the name or address gateways connect to")
    now = now or datetime.now(UTC)
    if ca.cert.not_valid_after_utc <= now:
        raise CaInvalid("the community CA has expired; gateways will refuse anything it signs")
    # Never outlive the CA: a chain is only as valid as its shortest link.
    not_after = min(now + HUB_VALIDITY, ca.cert.not_valid_after_utc)
    key = ec.generate_private_key(ec.SECP256R1())
    first = str(names[0].value)
    common_name = first if len(first) <= _MAX_CN else "Eldercare hub"
    ca_ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )
    return cert, key


def issue_hub_cert(
    directory: Path,
    hosts: Sequence[str],
    out: Path | None = None,
    now: datetime | None = None,
) -> IssuedCertificate:
    """Sign a hub certificate with the CA in `directory`; write OUT.pem (chain) and OUT.key."""
    ca = load_ca(directory)
    cert, key = new_hub_certificate(ca, hosts, now)
    prefix = out if out is not None else directory / DEFAULT_HUB_PREFIX
    cert_path = prefix.with_name(prefix.name + ".pem")
    key_path = prefix.with_name(prefix.name + ".key")
    for path in (cert_path, key_path):
        if path.exists():
            raise CertificateExists(
                f"{path} exists; move the old hub certificate and key aside (or pick another"
                " --out) before issuing a new one"
            )
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca.cert_pem
    try:
        _write_new(key_path, _private_pem(key), 0o600)
    except FileExistsError as err:
        raise CertificateExists(f"{key_path} appeared while issuing; not touching it") from err
    try:
        _write_new(cert_path, chain, 0o644)
    except (OSError, CaError):
        key_path.unlink(missing_ok=True)
        raise
    return IssuedCertificate(cert_path=cert_path, key_path=key_path, cert=cert)


# --- what the hub process needs -------------------------------------------------------------


def hub_ssl_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """The hub's server-side TLS context from the files `issue-hub-cert` wrote."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_file, key_file)
    except (OSError, ssl.SSLError) as err:
        raise CaInvalid(
            f"cannot load the hub certificate {cert_file} with key {key_file}: {err};"
            " issue one with `python -m provisioning issue-hub-cert`"
        ) from err
    return context


def ca_pem_from_hub_chain(chain_pem: bytes) -> bytes:
    """The CA certificate at the end of a hub chain file: what the hub serves at /api/v1/ca."""
    try:
        certs = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as err:
        raise CaInvalid(f"not a PEM certificate chain: {err}") from err
    root = certs[-1]
    if len(certs) < 2 or root.subject != root.issuer:
        raise CaInvalid(
            "the hub certificate file does not end with the community CA certificate;"
            " use the .pem file `python -m provisioning issue-hub-cert` wrote"
        )
    return root.public_bytes(serialization.Encoding.PEM)


# --- helpers --------------------------------------------------------------------------------


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,  # a TLS server signs its ECDHE handshake
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _make_private_dir(directory: Path) -> None:
    if directory.is_dir():
        return  # an existing directory keeps the mode its owner chose; the key file is 0o600
    try:
        directory.mkdir(mode=0o700, parents=True)
        directory.chmod(0o700)  # mkdir's mode is filtered by the umask
    except OSError as err:
        raise CaError(f"cannot create {directory}: {err.strerror or err}") from err


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create `path` (never replacing anything, never following a symlink) and write `data`."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise
    except OSError as err:
        raise CaError(f"cannot create {path}: {err.strerror or err}") from err
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
    except OSError as err:
        path.unlink(missing_ok=True)
        raise CaError(f"cannot write {path}: {err.strerror or err}") from err


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise CaInvalid(f"{path} is missing: restore it from your backup") from err
    except OSError as err:
        raise CaInvalid(f"cannot read {path}: {err.strerror or err}") from err
