#!/usr/bin/env bash
# Rebuild kmtalk-viewer.min.js (three.js + GLTFLoader + OrbitControls as one classic script) from npm,
# at the versions package-lock.json pins. Only a developer needs this (Node >= 18, npm, the registry);
# the file is committed and copied beside every QC report, so nothing is fetched at run time.
#   assets/web/build.sh          rebuild and print the SHA-256 (update assets/NOTICE when it changes)
#   assets/web/build.sh --check  rebuild in a temporary folder and compare with the committed file
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$here/viewer-entry.js" "$work/"
cd "$work"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
./node_modules/.bin/esbuild viewer-entry.js --bundle --minify --format=iife --target=es2020 \
  --legal-comments=eof --log-level=warning --outfile=kmtalk-viewer.min.js
if [ "${1:-}" = "--check" ]; then
  if cmp -s kmtalk-viewer.min.js "$here/kmtalk-viewer.min.js"; then
    echo "kmtalk-viewer.min.js: rebuilt identical ($(sha256sum < kmtalk-viewer.min.js | cut -d' ' -f1))"
  else
    echo "kmtalk-viewer.min.js differs from its rebuild" >&2
    exit 1
  fi
else
  cp kmtalk-viewer.min.js "$here/kmtalk-viewer.min.js"
  cp node_modules/three/LICENSE "$here/LICENSE.three.txt"
  sha256sum "$here/kmtalk-viewer.min.js"
fi
