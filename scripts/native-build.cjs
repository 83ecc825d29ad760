'use strict';
// Shared by scripts/install-native.cjs and scripts/prebuild.cjs: where the addon lives, whether
// a file of it loads here, and node-gyp run the way npm runs it (headers of the running Node
// when they were installed with it, so no download).
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const ADDON = 'tidescan_native.node';
const TARGET = `${process.platform}-${process.arch}`;
/** Relative to the package root: the prebuilt addon the package ships for this platform. */
const PREBUILT = path.join('prebuilds', TARGET, ADDON);

/** '' when `file` loads and has the addon's exports, else one line saying why not. */
function loadError(file) {
  try {
    const m = require(file);
    return typeof m.openTx === 'function' && typeof m.openRx === 'function' ? '' : 'it lacks the openTx/openRx exports';
  } catch (e) {
    return String(e instanceof Error ? e.message : e).split('\n', 1)[0].slice(0, 200);
  }
}

/** `node-gyp rebuild` in `dir`; returns its exit status (non-zero when it could not start). */
function nodeGypRebuild(dir) {
  const env = { ...process.env };
  const prefix = path.dirname(path.dirname(process.execPath));
  if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
    env.npm_config_nodedir = prefix;
  }
  // npm names its own node-gyp in npm_config_node_gyp for scripts; else the one on PATH.
  const gyp = env.npm_config_node_gyp;
  const r = gyp
    ? spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: dir, stdio: 'inherit', env })
    : spawnSync('node-gyp', ['rebuild'], { cwd: dir, stdio: 'inherit', env });
  if (r.error) {
    process.stderr.write(`tidescan: could not run node-gyp: ${r.error.message}\n`);
    return 1;
  }
  return r.status ?? 1;
}

module.exports = { ROOT, ADDON, TARGET, PREBUILT, loadError, nodeGypRebuild };
