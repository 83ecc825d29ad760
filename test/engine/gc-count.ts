/**
 * How many garbage collections a hot loop causes once optimised: `run(warm)` first, then
 * `run(measured)` while a PerformanceObserver counts 'gc' entries. Allocation-free loops
 * give 0; a stray one or two can come from earlier tests' garbage, hence the tests' `<= 3`.
 */
import { PerformanceObserver } from 'node:perf_hooks';

export async function gcsDuring(run: (n: number) => void, warm: number, measured: number): Promise<number> {
  run(warm);
  let gcs = 0;
  const obs = new PerformanceObserver((l) => { gcs += l.getEntries().length; });
  obs.observe({ entryTypes: ['gc'] });
  run(measured);
  // GC entries are delivered asynchronously.
  await new Promise((r) => setTimeout(r, 20));
  obs.disconnect();
  return gcs;
}
