// Preloaded (`node --import`, through NODE_OPTIONS) by scripts/test.sh when it runs the unit
// tests under a Node other than the one `npm ci` built node_modules for. better-sqlite3 is a
// V8 addon (not N-API): the copy in node_modules loads only in the Node whose ABI it was built
// for. scripts/node-versions.sh builds a copy for each extra Node under
// .cache/node<major>/overlay/node_modules/; this hook resolves `better-sqlite3` (by import or
// require, from any file) from there, and every other package from node_modules as usual.
// TIDESCAN_NODE_OVERLAY names the overlay directory (the one holding node_modules/).
import { createRequire, registerHooks } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const OVERLAID = ['better-sqlite3'];
const dir = process.env['TIDESCAN_NODE_OVERLAY'];
if (!dir || !existsSync(path.join(dir, 'node_modules'))) {
  throw new Error(`node-overlay: TIDESCAN_NODE_OVERLAY=${dir ?? ''} has no node_modules/`);
}
if (typeof registerHooks !== 'function') {
  throw new Error(`node-overlay: Node ${process.version} lacks module.registerHooks (22.15 or later needed)`);
}
// Resolved here, by the overlay's own require (before the hook exists), not by nextResolve: the
// default CommonJS resolution of require() ignores a parentURL given to it by a hook.
const overlayRequire = createRequire(path.join(path.resolve(dir), 'overlay.cjs'));
// On Node 24 require.resolve itself goes through the hook: `resolving` stops the recursion
// (the inner call then resolves as usual, from the overlay's own path).
const resolved = new Map();
let resolving = false;
function overlaid(specifier) {
  if (resolving || !OVERLAID.some((p) => specifier === p || specifier.startsWith(`${p}/`))) return undefined;
  let url = resolved.get(specifier);
  if (url === undefined) {
    resolving = true;
    try {
      url = pathToFileURL(overlayRequire.resolve(specifier)).href;
    } finally {
      resolving = false;
    }
    resolved.set(specifier, url);
  }
  return url;
}
// A package that the overlay lacks (an optional one not installed) resolves as usual.
for (const p of OVERLAID.splice(0)) {
  try {
    overlayRequire.resolve(p);
    OVERLAID.push(p);
  } catch {
    /* not in the overlay */
  }
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    const url = overlaid(specifier);
    return url === undefined ? nextResolve(specifier, context) : { url, shortCircuit: true };
  },
});
