# syntax=docker/dockerfile:1
#
# The tidescan container image, which the pods of `tidescan --k8s-job N` run:
#
#   docker build -t tidescan:latest .
#
# Debian-based Node.js 20 (the project's floor). The build stage runs `npm ci`, which runs
# the package's own scripts: `install` (scripts/install-native.cjs: no prebuilt addon in a
# checkout) builds the native addon from native/ with node-gyp
# (the full node image has python3, make and gcc), and `prepare` compiles the TypeScript
# (tsc -p .) into dist/. The dev dependencies are then pruned. The runtime stage is the slim
# image with what the program loads, plus two Debian packages it runs: nft (nftables: with
# --banners, the table that keeps the kernel from resetting our connections) and tcpdump
# (compiles --bpf filters).
#
# The scanner needs raw sockets: run it as root (the image's default user) with NET_RAW and
# NET_ADMIN, which the --k8s-job manifest asks for.

FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json binding.gyp tsconfig.json ./
COPY native/ native/
COPY scripts/install-native.cjs scripts/native-build.cjs scripts/
COPY src/ src/
COPY bin/ bin/
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nftables tcpdump \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/bin/ bin/
COPY --from=build /app/dist/src/ dist/src/
COPY --from=build /app/build/Release/tidescan_native.node build/Release/
# `tidescan` on PATH (package.json's bin), checked at build time by the built-in self test.
RUN ln -s /app/bin/tidescan.js /usr/local/bin/tidescan && tidescan --selftest
ENTRYPOINT ["tidescan"]
CMD ["--help"]
