#!/usr/bin/env bash
# Core's unit tests (type-check included) against the lowest and the highest versions of its peer
# dependencies: a copy of the workspace in a temp dir whose every effect, @effect/platform and
# xstate is overridden to one version set, so no second copy of Effect hides a mismatch.
# Integration tests (the dev-server) run once, on the pinned versions, in `pnpm test`; the
# consumer check runs the README's examples against the dev-server on both sets.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/clean-npm-env.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for set in lowest highest; do
  copy="$work/$set"
  overrides=$(node scripts/peer-sets.mjs "$set" json)
  mkdir -p "$copy"
  git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$copy"
  (cd "$copy" && node -e '
    const fs = require("fs")
    const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"))
    pkg.pnpm = { ...pkg.pnpm, overrides: JSON.parse(process.argv[1]) }
    fs.writeFileSync("package.json", JSON.stringify(pkg, null, 2))
  ' "$overrides")
  echo "== $set: install $overrides"
  (cd "$copy" && npx -y pnpm@10.34.8 install --no-frozen-lockfile --prefer-offline --config.strict-peer-dependencies=false \
    --reporter=silent)
  (cd "$copy/packages/core" && node -e '
    for (const name of ["effect", "@effect/platform", "xstate"])
      console.log(`  ${name} ${require(require.resolve(`${name}/package.json`)).version}`)')
  echo "== $set: type-check core and its tests"
  # Builds dist too: a test runs the built package in a child process.
  (cd "$copy" && node_modules/.bin/tsc -b packages/core packages/core/tsconfig.test.json)
  echo "== $set: core's unit tests"
  (cd "$copy" && node_modules/.bin/vitest run --project core --exclude 'test/integration/**' --reporter=dot --testTimeout=60000)
done
