/** tidescan's version and home, for start lines, file headers and banners' identification. */
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** tidescan's version, from package.json (the one place it is written). */
export const TIDESCAN_VERSION = packageVersion();
export const TIDESCAN_URL = 'https://github.com/tidescan/tidescan';
