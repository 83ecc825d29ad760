#!/usr/bin/env bash
# Rewrites man/tidescan.1 and the completion scripts in completion/ from the options table
# (src/cli/docs.ts). Run after changing src/cli/options.ts; test/cli/docs.test.ts fails
# while the committed files are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p .
node dist/src/cli/docs.js .
