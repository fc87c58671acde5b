# PartyRoom for one VPS: built on the official Bun image, run as one binary on Debian slim.
#   docker build -t partyroom .
#   docker run -d -p 8080:8080 -p 40000:40000/udp -p 40000:40000/tcp -e SFU_WORKERS=1 \
#     -e SFU_ANNOUNCED_ADDRESS=<public IP> -v partyroom-data:/data partyroom
# The steps are the ones `npm start` runs (scripts/bootstrap.sh), then `bun run build`.

FROM oven/bun:1.4.5-debian AS build
WORKDIR /src
COPY package.json bun.lock ./
COPY patches ./patches
RUN bun install --frozen-lockfile
COPY scripts ./scripts
# mediasoup's worker: its prebuilt binary, or (without access to it) a build from its sources with Debian's
# libraries, which installs the build tools it needs with apt-get.
RUN bash scripts/mediasoup-worker/install.sh
COPY . .
RUN bun run build

FROM debian:bookworm-slim
# What the mediasoup worker links against (a worker built from source uses Debian's libuv, OpenSSL, libsrtp2 and
# abseil; the prebuilt one needs only the C and C++ runtimes), and curl for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl libstdc++6 libuv1 libssl3 libsrtp2-1 libabsl20220623 libnss3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin partyroom \
 && mkdir -p /data && chown partyroom:partyroom /data
COPY --from=build /src/dist/partyroom /src/dist/mediasoup-worker /app/
USER partyroom
ENV DATA_DIR=/data HOST=0.0.0.0 PORT=8080 SFU_PORT=40000
VOLUME /data
EXPOSE 8080 40000/udp 40000/tcp
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD curl -fsS http://127.0.0.1:8080/api/health || exit 1
ENTRYPOINT ["/app/partyroom"]
