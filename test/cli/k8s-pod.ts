/**
 * What a pod of a `--k8s-job` manifest runs, computed the way Kubernetes does: shared by the
 * manifest's unit test and the fleet lab test (which runs that command line).
 *
 * Kubernetes expands `$(NAME)` in a container's command and args with the container's env
 * (documented rule: `$$` is an escaped `$`; a reference to an unknown name is left as
 * written). This is that expansion, written from the rule, so the tests run the argv a
 * kubelet would start.
 */
import type { JobManifest } from '../../src/cli/k8s-job.js';

/** Kubernetes' `$(NAME)` expansion of one string. */
export function expandK8s(input: string, env: Readonly<Record<string, string>>): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i += 2;
      } else {
        const name = input.slice(i + 2, close);
        out += Object.hasOwn(env, name) ? env[name]! : `$(${name})`;
        i = close + 1;
      }
    } else {
      out += `$${next}`;
      i += 2;
    }
  }
  return out;
}

/** The pod's env: the container's plain values, the Secret's value, JOB_COMPLETION_INDEX. */
export function podEnv(job: JobManifest, index: number, secrets: Readonly<Record<string, string>> = {}): Record<string, string> {
  const c = job.spec.template.spec.containers[0]!;
  const env: Record<string, string> = { JOB_COMPLETION_INDEX: String(index) };
  for (const e of c.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom !== undefined) {
      const v = secrets[`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`];
      if (v === undefined) throw new Error(`no value for secret ${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
      env[e.name] = v;
    }
  }
  return env;
}

/** The argv the kubelet starts for pod `index`: command + args, expanded with the pod's env. */
export function podArgv(job: JobManifest, env: Readonly<Record<string, string>>): string[] {
  const c = job.spec.template.spec.containers[0]!;
  return [...c.command, ...c.args].map((s) => expandK8s(s, env));
}
