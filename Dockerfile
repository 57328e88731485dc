# phikit's programs, the preset and its data on Debian slim, run as an
# unprivileged user. The build is scripts/build-install, the same script
# scripts/test-fresh runs in a fresh chroot.
#
#   docker build -t phikit .
#   docker run --rm -i phikit phi-scrub <notes.jsonl
FROM debian:bookworm-slim
COPY . /src
RUN /src/scripts/build-install \
 && rm -rf /src /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/phikit --shell /usr/sbin/nologin phikit
USER phikit
WORKDIR /var/lib/phikit
ENV PHIKIT_DB=/var/lib/phikit/audit.db
CMD ["phi-scrub", "--help"]
