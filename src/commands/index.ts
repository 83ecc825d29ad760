/**
 * Every operation that is not a scan, behind one typed table (operation -> handler). Each
 * handler returns the exit code (masscan's: 0 for the listing and conversion modes, 1 for
 * help, usage and version); text goes through the one synchronous fd writer (fd-writer.ts).
 *
 * The heavier modes are imported when they run, so that `--echo` or `--help` load none of
 * the scanner; the imports are typed (`typeof import(...)`), so the compiler checks each edge.
 */
import type { Operation, ScanConfig } from '../core/config.js';
import { writeText } from './fd-writer.js';

export type CommandHandler = (config: ScanConfig) => Promise<number>;
/**
 * The operations that print a text of the command line itself (help, usage, version, the
 * --echo family, and --k8s-job, whose pods get the --echo text as arguments): the CLI runs them (cli/text-commands.ts), next to the options table they
 * print.
 */
export type TextOperation = 'usage' | 'help' | 'nmap-help' | 'version' | 'echo' | 'echo-cidr' | 'readrange' | 'k8s-job';
/** The operations a command runs; `scan` is the CLI's (cli/run-scan.ts). */
export type CommandOperation = Exclude<Operation, 'scan' | TextOperation>;

/** Prints `text` on stdout and returns `code`. */
export function printText(text: string, code: number): Promise<number> {
  writeText(1, text);
  return Promise.resolve(code);
}

export const COMMANDS: { readonly [K in CommandOperation]: CommandHandler } = {
  'list': async (c) => {
    const m: typeof import('./list.js') = await import('./list.js');
    return m.runList(c);
  },
  'readscan': async (c) => {
    const m: typeof import('./readscan.js') = await import('./readscan.js');
    return m.runReadscanCommand(c);
  },
  'merge': async (c) => {
    const m: typeof import('./merge.js') = await import('./merge.js');
    return m.runMerge(c);
  },
  'iflist': async () => {
    const m: typeof import('./iflist.js') = await import('./iflist.js');
    return m.runIflist();
  },
  'selftest': async () => {
    const m: typeof import('./selftest.js') = await import('./selftest.js');
    return m.runSelftest();
  },
  'benchmark': async (c) => {
    const m: typeof import('./benchmark.js') = await import('./benchmark.js');
    return m.runBenchmark(c);
  },
};
