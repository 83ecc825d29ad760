/** `--iflist`: the interfaces this host has, as masscan lists them (adapter/interfaces.ts). */
import { printInterfaceList } from '../adapter/interfaces.js';
import { writeText } from './fd-writer.js';

/** Prints the list to `write` (stdout by default); exit code 0. */
export function runIflist(write: (text: string) => void = (t) => void writeText(1, t)): Promise<number> {
  printInterfaceList(write);
  return Promise.resolve(0);
}
