ARG BASE_IMAGE=python:3.12-slim
# BASE_IMAGE is an argument so a machine without registry access can build on a locally made
# Python base (see ci/image.sh); both stages must use the same one, because the venv's
# interpreter is a link to the base's.

FROM ${BASE_IMAGE} AS build

# The wheel ci/image.sh built (`python -m build`), exactly what a user installs: the image is
# made from the package, never from the source tree.
WORKDIR /src
COPY build/wheel/ ./wheel/

# Runtime dependencies only: the local AWS (moto) and the dev tools stay out of the image. The
# base's pip installs into a venv made without one, so pip and setuptools never reach the
# final stage. The shipped stacks and their code come out of the package (`reconcile init`).
RUN python -m venv --without-pip /opt/venv \
    && python -m pip --python /opt/venv/bin/python install --no-cache-dir \
       --disable-pip-version-check ./wheel/*.whl \
    && /opt/venv/bin/reconcile init /app/desired_state


FROM ${BASE_IMAGE}

COPY --from=build /opt/venv /opt/venv

# The stacks, with their code inside the folder as `reconcile init` writes it. Owned by root:
# the process only reads them.
WORKDIR /app
COPY --from=build /app/desired_state ./desired_state

# MALLOC_ARENA_MAX: glibc gives each of the many short-lived reader threads its own arena,
# which a process running for months holds on to; two arenas keep `watch` memory flat.
# The CLI's fallback looks beside the installed package, which is site-packages here; naming
# the folder keeps the default working when an orchestrator changes the working directory.
# Mount another folder and point --desired-dir at it to reconcile other stacks.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MALLOC_ARENA_MAX=2 \
    PATH=/opt/venv/bin:$PATH \
    RECONCILE_DESIRED_DIR=/app/desired_state

# A numeric uid with no passwd entry: Kubernetes' runAsNonRoot can verify it, and the final
# stage needs no RUN, so no shell or user tools have to exist in the base.
USER 10001:10001

# The port for `watch --metrics-port 9100`: /metrics for Prometheus and /healthz for probes.
EXPOSE 9100

# urlopen raises on a refused connection and on 503, so any unhealthy answer exits non-zero.
# The default command serves it; one-shot runs (apply, `watch --once`) end long before the
# first probe matters.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9100/healthz', timeout=4)"]

ENTRYPOINT ["reconcile"]
# What the image is for: drift correction every 5 minutes with /healthz and /metrics on 9100.
# The environment comes from RECONCILE_SUFFIX (a bare run without it stops at once, naming
# the flag, rather than guessing); orchestrators may instead pass the whole command, e.g.
#   watch --suffix prod --env prod --metrics-port 9100
#   watch --once --suffix prod
CMD ["watch", "--metrics-port", "9100"]
