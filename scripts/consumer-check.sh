#!/usr/bin/env bash
# The consumer check: what a new npm project gets from the packed @grantflow/core.
#  1. `pnpm pack` the core (what npm would publish) and check the tarball with
#     @arethetypeswrong/cli (ESM-only profile: CommonJS `require` without require(esm) is
#     documented as unsupported).
#  2. For the lowest and the highest supported effect/@effect/platform/xstate, install the tarball
#     into a fresh npm project next to them, extract every ```ts block of the READMEs, type-check
#     them strictly under moduleResolution bundler (DOM libs) and nodenext (Node's libs alone),
#     skipLibCheck off, then run them against a fresh dev-server. A browser snippet is checked
#     with DOM libs and no Node types.
# Expects `pnpm build` to have run (CI does it first).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/clean-npm-env.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tsc="$root/node_modules/.bin/tsc"

echo "== pack"
(cd packages/core && npx -y pnpm@10.34.8 pack --pack-destination "$work" >/dev/null)
tarball=$(ls "$work"/grantflow-core-*.tgz)
tar -tzf "$tarball" | sed 's/^package\///' | grep -E '^(README.md|LICENSE|CHANGELOG.md|package.json)$' | sort | tr '\n' ' '
echo
for required in README.md LICENSE package.json dist/index.js dist/index.d.ts; do
  tar -tzf "$tarball" "package/$required" >/dev/null 2>&1 || { echo "the tarball lacks $required"; exit 1; }
done

echo "== are the types wrong (ESM only)"
# A problem makes attw exit non-zero; the two CommonJS notes it prints are the documented ESM-only ones.
"$root/node_modules/.bin/attw" "$tarball" --profile esm-only --format ascii --no-emoji --no-color >"$work/attw.txt"
grep -v '^$' "$work/attw.txt" | sed -n '1,4p'

for set in lowest highest; do
  project="$work/$set"
  mkdir -p "$project"
  peers=$(node scripts/peer-sets.mjs "$set" args)
  echo "== $set: npm install the tarball with $peers"
  cat >"$project/package.json" <<JSON
{ "name": "consumer-$set", "private": true, "type": "module" }
JSON
  (cd "$project" && npm install --prefer-offline --no-save --loglevel=error \
    "$tarball" $peers @types/node@20.19 >/dev/null)
  (cd "$project" && node -e '
    for (const name of ["effect", "@effect/platform", "xstate"])
      console.log(`  ${name} ${JSON.parse(require("fs").readFileSync(`node_modules/${name}/package.json`)).version}`)')
  node scripts/consumer/readme-examples.mjs "$project/src" >/dev/null

  cat >"$project/tsconfig.bundler.json" <<JSON
{ "compilerOptions": { "strict": true, "target": "ES2022", "module": "preserve", "moduleResolution": "bundler",
    "lib": ["ES2022", "DOM", "DOM.Iterable"], "types": ["node"], "skipLibCheck": false, "noEmit": true },
  "include": ["src"] }
JSON
  cat >"$project/tsconfig.nodenext.json" <<JSON
{ "compilerOptions": { "strict": true, "target": "ES2022", "module": "nodenext", "moduleResolution": "nodenext",
    "lib": ["ES2022"], "types": ["node"], "skipLibCheck": false, "outDir": "dist" },
  "include": ["src"] }
JSON
  # A browser app: DOM libs and no Node types at all.
  mkdir -p "$project/browser"
  cat >"$project/browser/app.ts" <<'TS'
import { authorizationCode, providers, type TokenSource } from "@grantflow/core"

export const login = () =>
  authorizationCode.begin({ provider: providers.spotify, clientId: "id", redirectUri: `${location.origin}/callback` })
export const me = (source: TokenSource) => source.fetch(new Request("https://api.spotify.com/v1/me"))
TS
  cat >"$project/tsconfig.browser.json" <<JSON
{ "compilerOptions": { "strict": true, "target": "ES2022", "module": "preserve", "moduleResolution": "bundler",
    "lib": ["ES2022", "DOM", "DOM.Iterable"], "types": [], "skipLibCheck": false, "noEmit": true },
  "include": ["browser"] }
JSON
  echo "== $set: tsc (a browser app: bundler, DOM libs, no Node types)"
  (cd "$project" && "$tsc" -p tsconfig.browser.json)
  echo "== $set: tsc (bundler, DOM and Node types)"
  (cd "$project" && "$tsc" -p tsconfig.bundler.json)
  echo "== $set: tsc (nodenext, Node's libs alone, emitting)"
  (cd "$project" && "$tsc" -p tsconfig.nodenext.json)
  echo "== $set: a missing clientSecret is a short compiler message that names SpotifyScope"
  mkdir -p "$project/mistake"
  cat >"$project/mistake/missing-secret.ts" <<'TS'
import { clientCredentials, providers } from "@grantflow/core"

clientCredentials({ provider: providers.spotify, clientId: "id" })
TS
  if message=$(cd "$project" && "$tsc" --noEmit --strict --module nodenext --moduleResolution nodenext \
    --types node mistake/missing-secret.ts); then
    echo "a client credentials source without clientSecret compiled"; exit 1
  fi
  if ! grep -q "Property 'clientSecret' is missing" <<<"$message" || ! grep -q SpotifyScope <<<"$message" ||
    grep -q ugc-image-upload <<<"$message" || [ "${#message}" -gt 900 ]; then
    echo "the compiler's message is not the short one:"; echo "$message"; exit 1
  fi
  echo "== $set: the README's examples against the dev-server"
  mkdir -p "$project/run"
  node scripts/consumer/run-examples.mjs "$project/dist" "$project/run"
done
echo "consumer check: passed"
