#!/usr/bin/env node
'use strict';
// `prepack`: build the addon with node-gyp in a scratch copy of binding.gyp and native/ (the
// tree's own build/ is left alone) and put it at prebuilds/<platform>-<arch>/ for the tarball.
// The addon is N-API (NAPI_VERSION 8), so this one build serves every Node >= 20.
// `prebuild.cjs --clean` (`postpack`) removes prebuilds/ again, so that a stale copy never
// shadows a fresh node-gyp build in a working tree (the loader tries prebuilds/ first).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, ADDON, PREBUILT, loadError, nodeGypRebuild } = require('./native-build.cjs');

const prebuilds = path.join(ROOT, 'prebuilds');
if (process.argv[2] === '--clean') {
  fs.rmSync(prebuilds, { recursive: true, force: true });
  process.exit(0);
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tidescan-prebuild-'));
try {
  fs.copyFileSync(path.join(ROOT, 'binding.gyp'), path.join(scratch, 'binding.gyp'));
  fs.cpSync(path.join(ROOT, 'native'), path.join(scratch, 'native'), { recursive: true });
  const status = nodeGypRebuild(scratch);
  if (status !== 0) {
    process.stderr.write(`tidescan: prebuild: node-gyp rebuild failed (exit ${status})\n`);
    process.exit(1);
  }
  const built = path.join(scratch, 'build', 'Release', ADDON);
  const why = loadError(built);
  if (why !== '') {
    process.stderr.write(`tidescan: prebuild: the addon just built does not load: ${why}\n`);
    process.exit(1);
  }
  const dest = path.join(ROOT, PREBUILT);
  fs.rmSync(prebuilds, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(built, dest);
  process.stdout.write(`tidescan: prebuild: ${PREBUILT} (${fs.statSync(dest).size} bytes)\n`);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
