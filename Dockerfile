# mockserver: every provider on port 8080, state in memory, as a CI service container.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MOCKSERVER_HOST=0.0.0.0 \
    MOCKSERVER_PORT=8080 \
    MOCKSERVER_LOG_FORMAT=json

WORKDIR /src
# the wheel carries the specs, fixtures and keys (setup.py): the image needs nothing else of the checkout
COPY pyproject.toml setup.py MANIFEST.in README.md LICENSE ./
COPY mockserver ./mockserver
COPY specs ./specs
COPY fixtures ./fixtures
RUN pip install . && cd / && rm -rf /src
WORKDIR /
# parse the specs once at build: their JSON twins (beside the installed specs) make every start faster
RUN python -c "from mockserver.app import create_app; create_app()"

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin mockserver \
 && mkdir /data && chown 10001 /data
# where a --state-file goes (MOCKSERVER_STATE_FILE=/data/state.sqlite); a volume here keeps it
VOLUME /data
USER 10001

EXPOSE 8080
# python's own urllib: the slim image has no curl
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/__admin/health', timeout=2)"]

CMD ["mockserver"]
