# Build: the Swift toolchain image plus hiredis headers; the binary links the Swift runtime statically.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libhiredis-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product logit --static-swift-stdlib

# Run: a slim Debian with the hiredis runtime library (and curl for health checks).
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libhiredis0.14 curl ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/.build/release/logit /usr/local/bin/logit
USER nobody
EXPOSE 5000
ENTRYPOINT []
CMD ["logit", "serve", "--host", "0.0.0.0", "--port", "5000"]
