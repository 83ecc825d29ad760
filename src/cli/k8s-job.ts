/**
 * `--k8s-job N [scan options]`: a Kubernetes Indexed Job (batch/v1) that runs the scan as N
 * shards, one pod each, printed as YAML for `kubectl apply -f -`.
 *
 * - `completionMode: Indexed`, `completions` = `parallelism` = N; pod i (JOB_COMPLETION_INDEX,
 *   0-based) runs `--shards $((JOB_COMPLETION_INDEX + 1))/N` (shards are 1-based), all with the
 *   one seed of this configuration (random when none was given, and written into the args), at
 *   rate/N each, so the whole fleet sends at the rate asked for.
 * - The scan options are the configuration's `--echo` lines as `--name=value` arguments (the
 *   echo reads back to the same configuration, tested for every option), so what the pods
 *   run is what this command line meant, -c files and the default config file included; the
 *   pods skip their own default config file (TIDESCAN_NO_DEFAULT_CONFIG=1).
 * - Host networking (the node's own interface and address, at the node's full rate) with
 *   NET_RAW and NET_ADMIN; `dnsPolicy: ClusterFirstWithHostNet` so that a database named by
 *   a Service name still resolves.
 * - One pod per node: a required podAntiAffinity on the node name between the Job's pods
 *   (two scanners on one node would share its link and its address; shards share the seed,
 *   and two started in the same second the default source port, so each would also take the
 *   other's replies for its own). Pods beyond the node count wait.
 * - `restartPolicy: Never` with `backoffLimitPerIndex`: a failed shard is retried alone.
 * - Results: into PostgreSQL, the URL read from the Secret's key `url` (env DATABASE_URL);
 *   a retried pod resumes its shard from its row there (`--store-resume`). Or, with
 *   --k8s-pvc, one `-oB` file per shard on that volume (`shard-I-of-N.bin`, written in the
 *   working directory, which is the volume), combined afterwards by --merge; a retried pod
 *   starts its shard over, truncating its own file.
 *
 * The container's command is `/bin/sh -c SCRIPT tidescan`, and the scan options are its
 * `args` (the script's "$@"): the shell computes the shard number, and no option value is
 * ever parsed by a shell. Kubernetes expands `$(NAME)` in command and args for the names of
 * the container's env, so every `$` of an option value is written `$$` (its escape).
 */
import { stringify } from 'yaml';
import { ScanError } from '../error.js';
import type { K8sJobSettings, ScanConfig } from '../core/config.js';
import { echoConfig } from './echo.js';
import { printText } from '../commands/index.js';

/** Where per-shard files go in the pod (--k8s-pvc). */
export const RESULTS_DIR = '/results';
/** The Secret key holding the PostgreSQL URL. */
export const SECRET_KEY = 'url';
/** Retries of one shard (index) before it counts as failed. */
export const BACKOFF_LIMIT_PER_INDEX = 3;

/** The parts of a batch/v1 Job this command writes (kubernetes-models validates it in tests). */
export interface JobManifest {
  readonly apiVersion: 'batch/v1';
  readonly kind: 'Job';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly completionMode: 'Indexed';
    readonly completions: number;
    readonly parallelism: number;
    readonly backoffLimitPerIndex: number;
    readonly template: {
      readonly metadata: { readonly labels: Readonly<Record<string, string>> };
      readonly spec: PodSpec;
    };
  };
}

interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly secretKeyRef: { readonly name: string; readonly key: string } };
}

interface PodSpec {
  readonly restartPolicy: 'Never';
  readonly hostNetwork: true;
  readonly dnsPolicy: 'ClusterFirstWithHostNet';
  readonly affinity: {
    readonly podAntiAffinity: {
      readonly requiredDuringSchedulingIgnoredDuringExecution: readonly {
        readonly labelSelector: { readonly matchLabels: Readonly<Record<string, string>> };
        readonly topologyKey: string;
      }[];
    };
  };
  readonly containers: readonly {
    readonly name: string;
    readonly image: string;
    readonly command: readonly string[];
    readonly args: readonly string[];
    readonly env: readonly EnvVar[];
    readonly securityContext: { readonly capabilities: { readonly add: readonly string[] } };
    readonly workingDir?: string;
    readonly volumeMounts?: readonly { readonly name: string; readonly mountPath: string }[];
  }[];
  readonly volumes?: readonly { readonly name: string; readonly persistentVolumeClaim: { readonly claimName: string } }[];
}

/** Echo lines that the Job sets per pod itself (--store-resume only with PostgreSQL). */
const SET_BY_JOB = new Set(['seed', 'rate', 'shard', 'store-resume']);

/** Options naming a local file the pods cannot read (the echo keeps them as paths). */
const LOCAL_FILES = ['nmap-payloads', 'pcap-payloads', 'pcap-filename', 'nmap-service-probes'];

/** A one-line error for what a Job cannot carry; undefined when the configuration is fine. */
export function k8sRefusal(config: ScanConfig): string | undefined {
  if (config.outputs.length > 0) {
    return 'the pods write their own results (PostgreSQL from --k8s-secret, or -oB files with --k8s-pvc): drop the output options';
  }
  if (config.shard.of !== 1) return '--k8s-job N makes the N shards itself: drop --shards';
  if (config.resumeIndex !== 0 || config.resumeCount !== 0) return '--resume-index/--resume-count apply to one process, not to a Job';
  if (config.infinite) return '--infinite never completes, and a Job must';
  if (config.pcapFilename !== undefined) return '--pcap-filename names a local file the pods cannot write';
  return undefined;
}

/** `name = value` echo lines as `--name=value` arguments, minus those the Job sets itself. */
export function scanArgs(echo: string): string[] {
  const args: string[] = [];
  for (const line of echo.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    if (eq <= 0) continue;
    const name = t.slice(0, eq).trim();
    const value = t.slice(eq + 1).trim();
    if (SET_BY_JOB.has(name)) continue;
    if (LOCAL_FILES.includes(name)) {
      throw new ScanError('ERR_USAGE', `--k8s-job: --${name} names a local file the pods cannot read`);
    }
    args.push(`--${name}=${value}`);
  }
  return args;
}

/** Kubernetes' escape of `$` in command and args (`$$` is one `$`, never an expansion). */
export function escapeDollar(s: string): string {
  return s.replaceAll('$', '$$$$');
}

/** The per-pod rate: the fleet sends at the rate asked for. */
export function podRate(rate: number, count: number): string {
  return String(rate / count);
}

/** The shell script of the container: "$@" are the scan options. */
export function podScript(k: K8sJobSettings): string {
  const shard = `$((JOB_COMPLETION_INDEX + 1))`;
  const out = k.pvc !== undefined
    ? `-oB "shard-${shard}-of-${k.count}.bin"`
    : '--output-format postgres --output-filename "$DATABASE_URL" --store-resume';
  return `exec tidescan "$@" --shards "${shard}/${k.count}" ${out}`;
}

/** The Job's name: tidescan-<seed in base 36>, so that one seed names one Job. */
export function jobName(seed: bigint): string {
  return `tidescan-${seed.toString(36)}`;
}

/** The Job for this configuration (config.k8sJob must be set). */
export function buildJob(config: ScanConfig): JobManifest {
  const k = config.k8sJob;
  if (k === undefined) throw new ScanError('ERR_USAGE', '--k8s-job: missing the number of pods');
  const why = k8sRefusal(config);
  if (why !== undefined) throw new ScanError('ERR_USAGE', `--k8s-job: ${why}`);
  const name = jobName(config.seed);
  const labels = { 'app.kubernetes.io/name': 'tidescan', 'app.kubernetes.io/instance': name };
  const args = [
    ...scanArgs(echoConfig(config)),
    `--seed=${config.seed.toString()}`,
    `--rate=${podRate(config.rate, k.count)}`,
  ].map(escapeDollar);
  const env: EnvVar[] = [{ name: 'TIDESCAN_NO_DEFAULT_CONFIG', value: '1' }];
  if (k.pvc === undefined) env.push({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: k.secret, key: SECRET_KEY } } });
  const files = k.pvc !== undefined;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: k.namespace, labels },
    spec: {
      completionMode: 'Indexed',
      completions: k.count,
      parallelism: k.count,
      backoffLimitPerIndex: BACKOFF_LIMIT_PER_INDEX,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [{
                labelSelector: { matchLabels: { 'app.kubernetes.io/instance': name } },
                topologyKey: 'kubernetes.io/hostname',
              }],
            },
          },
          containers: [{
            name: 'tidescan',
            image: k.image,
            command: ['/bin/sh', '-c', podScript(k), 'tidescan'],
            args,
            env,
            securityContext: { capabilities: { add: ['NET_RAW', 'NET_ADMIN'] } },
            ...(files ? { workingDir: RESULTS_DIR, volumeMounts: [{ name: 'results', mountPath: RESULTS_DIR }] } : {}),
          }],
          ...(files ? { volumes: [{ name: 'results', persistentVolumeClaim: { claimName: k.pvc } }] } : {}),
        },
      },
    },
  };
}

/** The manifest as YAML, with a comment saying what it does and how to use it. */
export function jobYaml(config: ScanConfig): string {
  const job = buildJob(config);
  const k = config.k8sJob!;
  const sink = k.pvc !== undefined
    ? `per-shard -oB files on the claim ${k.pvc} (combine them with tidescan --merge)`
    : `PostgreSQL at the URL of Secret ${k.secret}, key ${SECRET_KEY}`;
  const head = [
    `# tidescan: ${k.count} shards of one scan (seed ${config.seed}), one pod each, into ${sink}.`,
    k.pvc !== undefined
      ? `# The claim ${k.pvc} must exist in namespace ${k.namespace} (ReadWriteMany for pods on several nodes).`
      : `# The Secret first: kubectl -n ${k.namespace} create secret generic ${k.secret} --from-literal=${SECRET_KEY}=postgres://USER:PASSWORD@HOST:5432/DB`,
    `# kubectl apply -f this.yaml; kubectl -n ${k.namespace} wait --for=condition=complete --timeout=24h job/${job.metadata.name}`,
    ...(k.pvc !== undefined ? [`# Then, where the claim is mounted: tidescan --merge shard-*-of-${k.count}.bin -oB all.bin`] : []),
  ];
  return `${head.join('\n')}\n${stringify(job, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** Prints the manifest; exit 0. */
export function runK8sJob(config: ScanConfig): Promise<number> {
  return printText(jobYaml(config), 0);
}
