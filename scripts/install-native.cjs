#!/usr/bin/env node
'use strict';
// The package's `install` script. The package ships a prebuilt addon for linux-x64
// (scripts/prebuild.cjs, run by `npm pack`); when it loads here there is nothing to do.
// Otherwise (another platform, a libc it does not load with) build it with node-gyp into
// build/Release, where src/adapter/afpacket.ts looks next. An install with --ignore-scripts
// skips this and uses the prebuilt addon as shipped.
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, TARGET, PREBUILT, loadError, nodeGypRebuild } = require('./native-build.cjs');

const prebuilt = path.join(ROOT, PREBUILT);
if (fs.existsSync(prebuilt)) {
  const why = loadError(prebuilt);
  if (why === '') {
    process.stdout.write(`tidescan: using the prebuilt addon ${PREBUILT}\n`);
    process.exit(0);
  }
  process.stderr.write(`tidescan: the prebuilt addon ${PREBUILT} does not load here (${why}); building it with node-gyp\n`);
} else {
  process.stdout.write(`tidescan: no prebuilt addon for ${TARGET}; building it with node-gyp\n`);
}
process.exit(nodeGypRebuild(ROOT));
