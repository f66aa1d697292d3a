# burnrate's image: built on Debian 12 (bookworm), run on bookworm-slim with only the
# shared libraries burnrate links, as a non-root user. tests/deploy/dockerfile.test.sh
# checks this file against the binary (ldd, dpkg -S) and hack/setup.sh.
#
#   docker build -t burnrate:0.1.0 .
#   docker run --rm burnrate:0.1.0 version

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libcurl4-openssl-dev libjansson-dev libyaml-dev libssl-dev libmicrohttpd-dev libcmocka-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /build -j"$(nproc)" --target burnrate \
 && strip /build/cmd/burnrate/burnrate \
 && /build/cmd/burnrate/burnrate version

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcurl4 libjansson4 libyaml-0-2 libssl3 libmicrohttpd12 zlib1g ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/cmd/burnrate/burnrate /usr/local/bin/burnrate
# 65532: the conventional "nonroot" UID; numeric so that runAsNonRoot can verify it
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/burnrate"]
CMD ["controller"]
