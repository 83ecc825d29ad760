/** Format `none`: results are discarded (a scan run only for its side effects or status). */
import type { FormatState, OutputFormat } from './format.js';

class NoneState implements FormatState {
  header(): void {}
  status(): void {}
  banner(): void {}
  footer(): void {}
  resume(): void {}
}

export const noneFormat: OutputFormat = {
  name: 'none',
  description: 'discard results',
  extension: '',
  alwaysComplete: false,
  create: () => new NoneState(),
};
