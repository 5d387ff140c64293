# The comparison point of benchmarks/image_sizes.py: duplicity as a plain `pip install duplicity`
# (every backend SDK its metadata asks for, some built from source) on the same base as our images.
FROM debian:trixie-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential ca-certificates gnupg python3 python3-dev python3-venv \
 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir duplicity==3.2.1
ENV PATH=/opt/venv/bin:$PATH
ENTRYPOINT ["duplicity"]
