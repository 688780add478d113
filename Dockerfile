# Two images from one tree:
#   docker build --target gateway -t eldercare-gateway .   Home Assistant + the eldercare integration
#   docker build --target hub     -t eldercare-hub .       the care-center hub (`python -m hub`)
# Same pins as scripts/bootstrap: requirements/constraints.txt for everything pip resolves, and the
# interpreter / Home Assistant versions that the tests (tests/test_dockerfile.py) hold us to.

# --- source: our Python distribution, shared by both targets --------------------------------------
# hub/ goes into the gateway image too: setuptools' find config puts gateway, hub and provisioning
# in one distribution.
FROM scratch AS source
COPY requirements/ /src/requirements/
COPY pyproject.toml /src/
COPY gateway/ /src/gateway/
COPY provisioning/ /src/provisioning/
COPY hub/ /src/hub/

# --- gateway: the household appliance -------------------------------------------------------------
# The official image of the HA version pinned in requirements/ha.txt: it already carries HA and the
# requirements of the integrations we load (zha, bluetooth, usb, ...), built for its own musl base,
# so we add only our library and never re-resolve HA's stack.
FROM ghcr.io/home-assistant/home-assistant:2026.2.3 AS gateway

WORKDIR /usr/src/eldercare
COPY --from=source /src/ ./
# requirements/app.txt pins what our packages add (sqlite-utils); the constraints keep
# aiohttp/cryptography at what HA itself pins, so pip leaves HA's copies alone.
RUN pip3 install --no-cache-dir -c requirements/constraints.txt -r requirements/app.txt .

# Where HA looks for custom integrations. A bind mount over /config hides this copy: mount the
# configuration into a fresh volume, or copy custom_components/eldercare into the mounted /config.
COPY integrations/eldercare/ /config/custom_components/eldercare/
# The image's s6 services expect to start in /config.
WORKDIR /config

# --- hub: the care-center server ------------------------------------------------------------------
# The CPython that scripts/bootstrap builds (PY_VERSION), on Debian like the machines it targets.
FROM python:3.13.5-slim AS hub

# The hub holds residents' data and faces the network: it never runs as root. /data is created and
# owned before VOLUME so a fresh named volume starts out writable by that user.
RUN useradd --system --uid 10001 --user-group --home-dir /srv --no-create-home hub \
    && install -d -o hub -g hub /data

WORKDIR /usr/src/eldercare
COPY --from=source /src/ ./
# A regular (not editable) install: the package and its static files land in site-packages, so the
# server does not depend on this source directory.
RUN pip install --no-cache-dir -c requirements/constraints.txt -r requirements/app.txt .

USER hub
WORKDIR /srv
VOLUME /data
EXPOSE 8080
# The dispatch screen is the page staff depend on; urlopen raises on any non-2xx answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/dispatch', timeout=4)"]
# 0.0.0.0 inside the container: the published port is what decides who can reach it.
CMD ["python", "-m", "hub", "--data", "/data", "--host", "0.0.0.0", "--port", "8080"]
