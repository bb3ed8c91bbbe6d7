#!/usr/bin/env bash
# Builds the deployable package in .package/ (what azd deploys) and .package.zip (to measure or deploy by hand):
# the compiled app without the local world, host.json, package.json and production dependencies only.
set -euo pipefail
cd "$(dirname "$0")/.."

npx tsc -p tsconfig.json
rm -rf .package .package.zip
mkdir -p .package/dist
cp -R dist/src .package/dist/src
rm -rf .package/dist/src/local            # simulator, local host, world: never deployed
find .package -name '*.map' -delete        # source maps point at files that are not shipped
cp host.json package.json package-lock.json .package/
(cd .package && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
rm -f .package/package-lock.json
# Type declarations and source maps of the dependencies are never read at run time (the OpenTelemetry distro alone
# ships tens of thousands of them).
find .package/node_modules \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete
(cd .package && zip -qr ../.package.zip .)
echo "package: .package.zip $(du -k .package.zip | cut -f1) KiB ($(find .package -type f | wc -l) files)"
