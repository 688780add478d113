"""POST /api/v1/enroll: a gateway redeems a one-time code and registers its public key."""

from __future__ import annotations

import logging

from aiohttp import web

from gateway.protocol import CA_PATH, ENROLL_PATH, EnrollError
from provisioning import keys

from ..core.context import HUB_CONTEXT
from ..core.storage import EnrollmentRejected
from ..infra.http_json import BodyError, read_json_object
from ..policy import public

_LOGGER = logging.getLogger(__name__)

_STATUS = {
    EnrollError.BAD_REQUEST: 400,
    EnrollError.CODE_UNKNOWN: 404,
    EnrollError.CODE_USED: 409,
    EnrollError.CODE_EXPIRED: 410,
}


def _refuse(error: EnrollError, message: str) -> web.Response:
    return web.json_response({"error": error.value, "message": message}, status=_STATUS[error])


@public  # the one-time code is the credential
async def enroll(request: web.Request) -> web.Response:
    hub = request.app[HUB_CONTEXT]
    try:
        payload = await read_json_object(request)
    except BodyError as err:
        return _refuse(EnrollError.BAD_REQUEST, f"The request body: {err}.")
    code, public_key, name = payload.get("code"), payload.get("public_key"), payload.get("name")
    if not (isinstance(code, str) and isinstance(public_key, str) and isinstance(name, str)):
        return _refuse(EnrollError.BAD_REQUEST, "code, public_key and name are required strings.")
    try:
        keys.public_key_from_text(public_key)
    except keys.KeyFormatError as err:
        return _refuse(EnrollError.BAD_REQUEST, f"public_key: {err}")
    try:
        gateway = await hub.db(
            hub.store.redeem_enrollment_code, code, public_key, name[:100], hub.clock()
        )
    except EnrollmentRejected as err:
        _LOGGER.warning("Enrollment refused (%s) from %s", err.reason, request.remote)
        hub.rejections[f"enroll_{err.reason}"] += 1  # code guessing shows in the metrics
        return _refuse(EnrollError(err.reason), str(err))
    household = await hub.db(hub.store.household, gateway.household_id)
    assert household is not None
    _LOGGER.info("Gateway %s enrolled for household %s", gateway.id, household.id)
    return web.json_response(
        {
            "gateway_id": gateway.id,
            "household_id": household.id,
            "household_name": household.name,
            "hub_public_key": keys.public_key_to_text(hub.hub_key.public_key()),
        }
    )


@public
async def ca_certificate(request: web.Request) -> web.Response:
    """The community CA certificate, public by nature: an enrolling gateway checks it against
    the fingerprint from its QR code before trusting it."""
    ca_pem = request.app[HUB_CONTEXT].ca_pem
    if ca_pem is None:
        raise web.HTTPNotFound(text="This hub runs without TLS (loopback demo); no CA to pin.")
    return web.Response(body=ca_pem, content_type="application/x-pem-file")


def add_routes(app: web.Application) -> None:
    app.router.add_post(ENROLL_PATH, enroll)
    app.router.add_get(CA_PATH, ca_certificate)
