"""The community CA and what rests on it: files, certificates, fingerprints, enrollment QR text."""

from __future__ import annotations

import contextlib
import ipaddress
import stat
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store
from hypothesis import given
from hypothesis import strategies as st

from provisioning import ca, codes, qr


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One CA with a hub certificate, shared by the read-only tests (key generation is cheap,
    but one CA keeps the expectations in one place)."""
    directory = tmp_path_factory.mktemp("community") / "ca"
    ca.init_ca(directory, "Jasmine Court")
    ca.issue_hub_cert(directory, ["hub.example.org", "127.0.0.1", "[::1]", "localhost"])
    return directory


# --- init -----------------------------------------------------------------------------------


def test_init_writes_a_private_directory_and_key(tmp_path: Path) -> None:
    directory = tmp_path / "a" / "ca"
    ca.init_ca(directory)
    assert _mode(directory) == 0o700
    assert _mode(directory / ca.CA_KEY_FILE) == 0o600
    assert _mode(directory / ca.CA_CERT_FILE) & 0o022 == 0
    assert b"PRIVATE KEY" in (directory / ca.CA_KEY_FILE).read_bytes()


def test_the_ca_certificate_is_a_self_signed_leaf_only_ca(ca_dir: Path) -> None:
    cert = ca.load_ca_certificate(ca_dir)
    cert.verify_directly_issued_by(cert)
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    assert constraints.value.path_length == 0
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign
    assert usage.value.crl_sign
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=3640) < lifetime < timedelta(days=3660)
    assert "Jasmine Court" in cert.subject.rfc4514_string()
    loaded = ca.load_ca(ca_dir)
    assert loaded.key.public_key() == cert.public_key()
    assert "key" not in repr(loaded).replace("PublicKey", "")


def test_init_never_overwrites(tmp_path: Path) -> None:
    directory = tmp_path / "ca"
    ca.init_ca(directory)
    before = {name: (directory / name).read_bytes() for name in ("ca.pem", "ca.key")}
    with pytest.raises(ca.CaExists, match="never overwritten"):
        ca.init_ca(directory)
    assert before == {name: (directory / name).read_bytes() for name in before}


def test_init_refuses_half_a_ca(tmp_path: Path) -> None:
    (tmp_path / ca.CA_KEY_FILE).write_bytes(b"someone's key")
    with pytest.raises(ca.CaExists):
        ca.init_ca(tmp_path)
    assert (tmp_path / ca.CA_KEY_FILE).read_bytes() == b"someone's key"
    assert not (tmp_path / ca.CA_CERT_FILE).exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 65])
def test_init_rejects_unusable_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(ca.InvalidName):
        ca.init_ca(tmp_path / "ca", name)
    assert not (tmp_path / "ca").exists()


def test_load_explains_missing_corrupt_and_mismatched_files(tmp_path: Path) -> None:
    with pytest.raises(ca.CaNotFound, match="run `python -m provisioning init"):
        ca.load_ca(tmp_path)
    ca.init_ca(tmp_path / "one")
    ca.init_ca(tmp_path / "two")
    (tmp_path / "one" / "ca.key").unlink()
    (tmp_path / "one" / "ca.key").write_bytes((tmp_path / "two" / "ca.key").read_bytes())
    with pytest.raises(ca.CaInvalid, match="does not belong"):
        ca.load_ca(tmp_path / "one")
    (tmp_path / "one" / "ca.pem").unlink()
    with pytest.raises(ca.CaInvalid, match="restore it from backup"):
        ca.load_ca(tmp_path / "one")
    (tmp_path / "two" / "ca.pem").write_text("not a certificate")
    with pytest.raises(ca.CaInvalid, match=r"ca\.pem"):
        ca.load_ca(tmp_path / "two")


# --- the hub certificate --------------------------------------------------------------------


def test_hub_certificate_chains_to_the_ca_with_typed_names(ca_dir: Path) -> None:
    community = ca.load_ca(ca_dir)
    chain = x509.load_pem_x509_certificates((ca_dir / "hub.pem").read_bytes())
    assert [cert.subject for cert in chain[1:]] == [community.cert.subject]
    hub = chain[0]
    hub.verify_directly_issued_by(community.cert)
    names = hub.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["hub.example.org", "localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    eku = hub.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not hub.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    lifetime = hub.not_valid_after_utc - hub.not_valid_before_utc
    assert timedelta(days=725) < lifetime < timedelta(days=735)
    key = serialization.load_pem_private_key((ca_dir / "hub.key").read_bytes(), None)
    assert key.public_key() == hub.public_key()
    assert _mode(ca_dir / "hub.key") == 0o600

    # An independent RFC 5280 path validation, hostname included.
    store = Store([community.cert])
    for name in (x509.DNSName("hub.example.org"), x509.IPAddress(ipaddress.ip_address("::1"))):
        verifier = PolicyBuilder().store(store).build_server_verifier(name)
        assert verifier.verify(hub, [])[-1] == community.cert


def test_the_chain_file_yields_the_ca_the_hub_serves(ca_dir: Path) -> None:
    chain = (ca_dir / "hub.pem").read_bytes()
    assert ca.ca_pem_from_hub_chain(chain) == (ca_dir / "ca.pem").read_bytes()
    leaf_only = chain[: chain.index(b"-----END CERTIFICATE-----\n") + 26]
    with pytest.raises(ca.CaInvalid, match="does not end with the community CA"):
        ca.ca_pem_from_hub_chain(leaf_only)
    with pytest.raises(ca.CaInvalid, match="not a PEM certificate chain"):
        ca.ca_pem_from_hub_chain(b"nothing here")
    assert ca.hub_ssl_context(ca_dir / "hub.pem", ca_dir / "hub.key")
    with pytest.raises(ca.CaInvalid, match="issue-hub-cert"):
        ca.hub_ssl_context(ca_dir / "hub.pem", ca_dir / "ca.key")


def test_issue_never_overwrites_and_takes_a_prefix(ca_dir: Path, tmp_path: Path) -> None:
    before = (ca_dir / "hub.key").read_bytes()
    with pytest.raises(ca.CertificateExists, match="move the old hub certificate"):
        ca.issue_hub_cert(ca_dir, ["hub.example.org"])
    assert (ca_dir / "hub.key").read_bytes() == before
    issued = ca.issue_hub_cert(ca_dir, ["hub.example.org"], tmp_path / "renewed")
    assert issued.cert_path == tmp_path / "renewed.pem"
    assert issued.key_path == tmp_path / "renewed.key"
    assert _mode(issued.key_path) == 0o600


def test_issue_needs_a_ca(tmp_path: Path) -> None:
    with pytest.raises(ca.CaNotFound):
        ca.issue_hub_cert(tmp_path, ["hub.example.org"])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "host",
    [
        "https://hub.example.org",
        "hub.example.org:8443",
        "under_score.example",
        "-dash.example",
        "a..b",
        "*.example.org",
        "fe80::1%eth0",
        "10.0.0.256",
        "010.0.0.1",
        "127.1",
        "hüb.example",
        "",
        "x" * 64 + ".example",
    ],
)
def test_hosts_must_be_names_or_addresses(ca_dir: Path, host: str) -> None:
    with pytest.raises(ca.InvalidHost):
        ca.new_hub_certificate(ca.load_ca(ca_dir), [host])


def test_hosts_are_typed_normalised_and_deduplicated() -> None:
    assert ca.parse_host("Hub.Example.ORG.") == x509.DNSName("hub.example.org")
    assert ca.parse_host("[2001:db8::1]") == x509.IPAddress(ipaddress.ip_address("2001:db8::1"))
    assert ca.parse_host("10.0.0.7") == x509.IPAddress(ipaddress.ip_address("10.0.0.7"))
    community = ca.new_community_ca()
    cert, _ = ca.new_hub_certificate(community, ["a.example", "A.example", "10.0.0.7"])
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert len(list(names)) == 2
    with pytest.raises(ca.InvalidHost, match="at least one"):
        ca.new_hub_certificate(community, [])


def test_hub_certificates_never_outlive_the_ca() -> None:
    community = ca.new_community_ca()
    expiry = community.cert.not_valid_after_utc
    cert, _ = ca.new_hub_certificate(community, ["hub"], now=expiry - timedelta(days=100))
    assert cert.not_valid_after_utc == expiry
    with pytest.raises(ca.CaInvalid, match="expired"):
        ca.new_hub_certificate(community, ["hub"], now=expiry + timedelta(seconds=1))


# --- fingerprints ---------------------------------------------------------------------------


def test_fingerprint_is_stable_and_matches_openssl_form(ca_dir: Path) -> None:
    pem = (ca_dir / "ca.pem").read_bytes()
    fingerprint = ca.pem_fingerprint(pem)
    assert fingerprint == ca.load_ca(ca_dir).fingerprint == ca.pem_fingerprint(pem)
    assert len(fingerprint) == 64
    assert fingerprint == fingerprint.lower()
    openssl_form = ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
    assert ca.parse_fingerprint(openssl_form) == fingerprint
    assert ca.parse_fingerprint(f"  {fingerprint.upper()}\n") == fingerprint


@given(st.binary(min_size=32, max_size=32), st.booleans(), st.booleans())
def test_both_fingerprint_forms_parse_to_one(digest: bytes, colons: bool, upper: bool) -> None:
    text = digest.hex()
    if colons:
        text = ":".join(text[i : i + 2] for i in range(0, 64, 2))
    if upper:
        text = text.upper()
    assert ca.parse_fingerprint(text) == digest.hex()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ab" * 31,
        "ab" * 33,
        "zz" * 32,
        "sha256:" + "ab" * 32,
        "a:b" + "ab" * 31,
        "ab:" * 32,
        "ab " * 31 + "ab",
        "ab-" * 31 + "ab",
    ],
)
def test_fingerprint_parser_rejects_other_text(text: str) -> None:
    with pytest.raises(ca.FingerprintFormatError, match="64 hex digits"):
        ca.parse_fingerprint(text)


def test_pem_fingerprint_wants_exactly_one_certificate(ca_dir: Path) -> None:
    with pytest.raises(ca.CertificateFormatError, match="found 2"):
        ca.pem_fingerprint((ca_dir / "hub.pem").read_bytes())
    with pytest.raises(ca.CertificateFormatError):
        ca.pem_fingerprint(b"hello")


# --- the enrollment QR payload --------------------------------------------------------------
# (it rests on the fingerprint format above, so its tests live beside it)

FINGERPRINT = "3f" * 32
CODE = "ABCD-EFGH-JKMN"


def test_qr_payload_has_the_documented_shape() -> None:
    text = qr.build_enrollment_payload("https://hub.example.org:8443/care/", FINGERPRINT, CODE)
    assert text == (
        f"eldercare:1?hub=https://hub.example.org:8443/care&ca={FINGERPRINT}&code={CODE}"
    )
    assert qr.parse_enrollment_payload(text) == qr.EnrollmentPayload(
        "https://hub.example.org:8443/care", FINGERPRINT, CODE
    )


def test_qr_payload_parsing_is_forgiving_of_form_only() -> None:
    openssl_form = ":".join(["3F"] * 32)
    text = f"ELDERCARE:1?code=abcd efgh jkmn&x=later&ca={openssl_form}&hub=wss%3A%2F%2Fhub.example"
    assert qr.parse_enrollment_payload(f" {text}\n") == qr.EnrollmentPayload(
        "wss://hub.example", FINGERPRINT, CODE
    )


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
_last_label = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_host = st.one_of(
    st.tuples(st.lists(_label, max_size=3), _last_label).map(
        lambda name: ".".join([*name[0], name[1]])
    ),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda address: f"[{address}]"),
)
_path = st.lists(
    st.text(alphabet="abcXYZ019-._~%!$&'()*+,;=:@", min_size=1, max_size=8), max_size=3
).map(lambda parts: "".join("/" + part for part in parts))


@given(
    scheme=st.sampled_from(["http", "https", "ws", "wss"]),
    host=_host,
    port=st.one_of(st.none(), st.integers(1, 65535)),
    path=_path,
    digest=st.binary(min_size=32, max_size=32),
    code=st.text(alphabet=codes.ALPHABET, min_size=12, max_size=12),
)
def test_qr_payload_round_trips(
    scheme: str, host: str, port: int | None, path: str, digest: bytes, code: str
) -> None:
    url = f"{scheme}://{host}{'' if port is None else f':{port}'}{path}"
    text = qr.build_enrollment_payload(url, digest.hex().upper(), code.lower())
    payload = qr.parse_enrollment_payload(text)
    assert payload == qr.EnrollmentPayload(url.rstrip("/"), digest.hex(), codes.format_code(code))
    assert payload.to_text() == text
    assert text.isascii()
    assert " " not in text


@given(st.text(max_size=300))
def test_qr_parser_raises_only_its_own_error(text: str) -> None:
    with contextlib.suppress(qr.QrPayloadError):
        qr.parse_enrollment_payload(text)


@given(st.text(max_size=120))
def test_qr_parser_survives_any_field_value(value: str) -> None:
    for field in ("hub", "ca", "code"):
        fields = {"hub": "https://hub.example", "ca": FINGERPRINT, "code": CODE, field: value}
        text = "eldercare:1?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())
        with contextlib.suppress(qr.QrPayloadError):
            qr.parse_enrollment_payload(text)


_GOOD = f"hub=https://hub.example&ca={FINGERPRINT}&code={CODE}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"https://hub.example?{_GOOD}", "not an Eldercare enrollment QR code"),
        (f"eldercar:1?{_GOOD}", "not an Eldercare enrollment QR code"),
        ("eldercare:1", "not an Eldercare enrollment QR code"),
        (f"eldercare?{_GOOD}", "not an Eldercare enrollment QR code"),
        (f"eldercare:2?{_GOOD}", "update the Eldercare integration"),
        (f"eldercare:0?{_GOOD}", "does not exist"),
        (f"eldercare:v1?{_GOOD}", "not a number"),
        (f"eldercare:١?{_GOOD}", "not a number"),
        ("eldercare:1?", "lacks hub, ca, code"),
        (f"eldercare:1?ca={FINGERPRINT}&code={CODE}", "lacks hub"),
        ("eldercare:1?hub=https://hub.example&ca=" + FINGERPRINT, "lacks code"),
        (f"eldercare:1?{_GOOD}&ca={FINGERPRINT}", "appears twice"),
        (f"eldercare:1?{_GOOD}&garbage", "garbled"),
        ("eldercare:1?hub=https://hub.example%ff&ca=x&code=y", "garbled"),
        (f"eldercare:1?{_GOOD}" + "&x=1" * 20, "garbled"),
        (f"eldercare:1?{_GOOD}&p=" + "x" * 1100, "too long"),
        (f"eldercare:1?hub=https://h.example&ca={'3f' * 31}&code={CODE}", "CA fingerprint"),
        (f"eldercare:1?hub=https://h.example&ca={FINGERPRINT}&code=ABCD-EFGH", "code"),
        (f"eldercare:1?hub=https://h.example&ca={FINGERPRINT}&code=ABCD-EFGH-JKM0", "code"),
    ],
)
def test_qr_payload_rejections_say_why(text: str, message: str) -> None:
    with pytest.raises(qr.QrPayloadError, match=message):
        qr.parse_enrollment_payload(text)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hub.example", "must start with https://"),
        ("hub.example", "must start with https://"),
        ("https://", "names no host"),
        ("https://user:pw@hub.example", "user name"),
        ("https://hub.example/?x=1", "query"),
        ("https://hub.example/#top", "fragment"),
        ("https://hub.example:99999", "malformed"),
        ("https://hub example", "spaces"),
        ("https://hüb.example", "ASCII"),
        ("https://under_score.example", "host is invalid"),
        ("https://[fe80::1%25eth0]", "host is invalid"),
    ],
)
def test_qr_hub_url_rejections(url: str, message: str) -> None:
    with pytest.raises(qr.QrPayloadError, match=message):
        qr.build_enrollment_payload(url, FINGERPRINT, CODE)
    text = f"eldercare:1?hub={quote(url)}&ca={FINGERPRINT}"
    with pytest.raises(qr.QrPayloadError):
        qr.parse_enrollment_payload(text + f"&code={CODE}")


def test_qr_errors_are_value_errors() -> None:
    assert issubclass(qr.QrPayloadError, ValueError)
    assert issubclass(ca.FingerprintFormatError, ValueError)
    # A real example payload stays far inside a QR code's capacity.
    payload = qr.build_enrollment_payload(
        "https://hub.jasmine-court.example.org:8443", FINGERPRINT, codes.new_enrollment_code()
    )
    assert len(payload) < 160
