#!/usr/bin/env bash
# Builds the deployable package in .package/ (what azd zips and deploys) and .package.zip (to measure or deploy by
# hand): the compiled app without the local world, host.json, package.json, production dependencies only, and a
# minimal .funcignore for azd's zip step.
# The production install is kept in .package-deps/ and reused while package.json and package-lock.json are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

npx tsc -p tsconfig.json

deps=.package-deps
if ! cmp -s package.json "$deps/package.json" || ! cmp -s package-lock.json "$deps/package-lock.json"; then
  rm -rf "$deps"
  mkdir -p "$deps/install"
  cp package.json package-lock.json "$deps/install/"
  (cd "$deps/install" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  # Type declarations and source maps of the dependencies are never read at run time (the OpenTelemetry distro alone
  # ships tens of thousands of them).
  find "$deps/install/node_modules" \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete
  mv "$deps/install/node_modules" "$deps/node_modules"
  rm -rf "$deps/install"
  # Written last: a run stopped half-way never counts as a finished install.
  cp package.json package-lock.json "$deps/"
fi

rm -rf .package .package.zip
mkdir -p .package/dist
cp -R dist/src .package/dist/src
rm -rf .package/dist/src/local            # simulator, local host, world: never deployed
find .package -name '*.map' -delete        # source maps point at files that are not shipped
cp host.json package.json .package/
cp -R "$deps/node_modules" .package/node_modules

# azd zips .package/ with this file's gitignore rules (never the root .funcignore: its unanchored `src` would also drop
# dist/src). With an ignore file present azd applies no default exclusions, so node_modules ships (remoteBuild: false).
cat > .package/.funcignore <<'IGNORE'
# Read by azd when it zips .package/ (gitignore syntax). node_modules is shipped: azure.yaml sets remoteBuild: false.
local.settings.json
*.map
IGNORE

# PACKAGE_ZIP=0 (the packaging test, which zips .package/ as azd does): no .package.zip.
[ "${PACKAGE_ZIP:-1}" = 0 ] || (cd .package && zip -qr ../.package.zip . -x .funcignore)
[ "${PACKAGE_ZIP:-1}" = 0 ] || echo "package: .package.zip $(du -k .package.zip | cut -f1) KiB ($(find .package -type f ! -name .funcignore | wc -l) files)"
