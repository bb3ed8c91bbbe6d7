#!/usr/bin/env bash
# Builds the deployable package in .package/ (what azd zips and deploys) and .package.zip (to measure or deploy by
# hand): the compiled app without the local world, host.json, package.json, production dependencies only, and a
# minimal .funcignore for azd's zip step. Then the guardian's own package in .package-guardian/ (azd service
# "guardian", src/guardian/): the same compiled code and dependencies without the app's functions, guardian/host.json,
# and a package.json whose "main" is the guardian's one function.
set -euo pipefail
cd "$(dirname "$0")/.."

# PACKAGE_BUILD=0: dist/ is already built (the packaging test runs right after npm test's build).
[ "${PACKAGE_BUILD:-1}" = 0 ] || npx tsc -p tsconfig.json

# .package/node_modules is reused while package.json and package-lock.json equal the copies in .package-deps/ (the
# ones it was installed from); otherwise it is installed again.
deps=.package-deps
if ! cmp -s package.json "$deps/package.json" || ! cmp -s package-lock.json "$deps/package-lock.json" || [ ! -d .package/node_modules ]; then
  rm -rf .package "$deps"
  mkdir -p .package
  cp package.json package-lock.json .package/
  (cd .package && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  rm -f .package/package-lock.json
  # Type declarations and source maps of the dependencies are never read at run time (the OpenTelemetry distro alone
  # ships tens of thousands of them).
  find .package/node_modules \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete
  # Written last: a run stopped half-way never counts as a finished install.
  mkdir -p "$deps"
  cp package.json package-lock.json "$deps/"
fi

# Everything but the dependencies is written afresh.
rm -f .package.zip
find .package -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
mkdir -p .package/dist
cp -R dist/src .package/dist/src
rm -rf .package/dist/src/local            # simulator, local host, world: never deployed
find .package/dist -name '*.map' -delete   # source maps point at files that are not shipped
cp host.json package.json .package/

# azd zips .package/ with this file's gitignore rules (never the root .funcignore: its unanchored `src` would also drop
# dist/src). With an ignore file present azd applies no default exclusions, so node_modules ships (remoteBuild: false).
cat > .package/.funcignore <<'IGNORE'
# Read by azd when it zips .package/ (gitignore syntax). node_modules is shipped: azure.yaml sets remoteBuild: false.
local.settings.json
*.map
IGNORE

# The guardian: never self-updated, so it is its own package, deployed only by `azd deploy`. Its dependencies are
# hard links to the app's (same bytes, no second install).
rm -rf .package-guardian .package-guardian.zip
mkdir -p .package-guardian/dist
cp -R .package/dist/src .package-guardian/dist/src
rm -rf .package-guardian/dist/src/functions   # the app's functions: never part of the guardian
cp guardian/host.json .package-guardian/
cp .package/.funcignore .package-guardian/
node -e '
  const app = require("./package.json");
  const guardian = { name: `${app.name}-guardian`, version: app.version, description: "Rolls back a self-update of the app that cannot start (src/guardian/).",
    private: true, license: app.license, main: "dist/src/guardian/functions/*.js", engines: app.engines, dependencies: app.dependencies };
  require("node:fs").writeFileSync(".package-guardian/package.json", JSON.stringify(guardian, null, 2) + "\n");
'
cp -al .package/node_modules .package-guardian/node_modules 2>/dev/null || cp -R .package/node_modules .package-guardian/node_modules

# PACKAGE_ZIP=0 (the packaging test, which zips the folders as azd does): no .zip files.
if [ "${PACKAGE_ZIP:-1}" != 0 ]; then
  for p in .package .package-guardian; do
    (cd "$p" && zip -qr "../$p.zip" . -x .funcignore)
    echo "package: $p.zip $(du -k "$p.zip" | cut -f1) KiB ($(find "$p" -type f ! -name .funcignore | wc -l) files)"
  done
fi
