# Build: the Swift toolchain image plus hiredis headers and libcurl's (the client subcommands use URLSession, whose
# static Foundation links libcurl); the binary links the Swift runtime statically.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libhiredis-dev libcurl4-openssl-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product logit --static-swift-stdlib

# Run: a slim Debian with the hiredis runtime library, and curl (health checks; it brings libcurl4, which the binary
# links).
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libhiredis0.14 curl libcurl4 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/.build/release/logit /usr/local/bin/logit
USER nobody
EXPOSE 5000
ENTRYPOINT []
CMD ["logit", "serve", "--host", "0.0.0.0", "--port", "5000"]
