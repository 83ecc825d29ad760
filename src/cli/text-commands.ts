/**
 * The operations that print a text of the command line itself: help, usage and version
 * (masscan exits 1 after them), and --echo, --echo-cidr, --readrange (exit 0). They live in
 * the CLI, beside the options table they print (--k8s-job too: its pods' arguments are the
 * --echo text); every other operation is in src/commands.
 */
import { printText, type CommandHandler, type TextOperation } from '../commands/index.js';
import { echoCidrText, echoConfig, readrangeText } from './echo.js';
import { helpText, nmapHelpText, usageText, versionText } from './help.js';

export const TEXT_COMMANDS: { readonly [K in TextOperation]: CommandHandler } = {
  'usage': () => printText(usageText(), 1),
  'help': () => printText(helpText(), 1),
  'nmap-help': () => printText(nmapHelpText(), 1),
  'version': () => printText(versionText(), 1),
  'echo': (c) => printText(echoConfig(c), 0),
  'echo-cidr': (c) => printText(echoCidrText(c), 0),
  'readrange': (c) => printText(readrangeText(c), 0),
  'k8s-job': async (c) => {
    const m: typeof import('./k8s-job.js') = await import('./k8s-job.js');
    return m.runK8sJob(c);
  },
};
