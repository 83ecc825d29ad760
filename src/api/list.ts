/**
 * listTargets(): the -sL plan (commands/list.ts) as an async iterator: the targets a scan
 * with the same targets, ports, seed, shard and resume options would probe, in the same
 * order, without sending anything. Each index of the plan is one item (IPv4 first in the
 * index space, as -sL lists them); --retries has no effect, as in -sL.
 */
import type { ScanConfig } from '../core/config.js';
import { Blackrock } from '../target/blackrock.js';
import { formatIPv6Words } from '../target/ipv6.js';
import { PortList, plainPort, portProto } from '../target/ports.js';
import { RangeList4, RangeList6 } from '../target/range-list.js';
import { ipv4ToString } from '../core/address.js';
import { listPlan } from '../commands/list.js';
import { apiParseIo, configFromOptions, type ListOptions } from './options.js';

/** One planned probe: an address, and the port when ports were given. */
export interface ListedTarget {
  readonly addr: string;
  /** The port (TCP/UDP/SCTP), ICMP selector or protocol number; undefined when no ports were given. */
  readonly port: number | undefined;
  readonly proto: 'tcp' | 'udp' | 'sctp' | 'icmp' | 'arp' | 'other' | undefined;
  /** The plan index (a scan resumed at it starts here). */
  readonly index: number;
}

/** Items produced between two turns of the event loop. */
const SLICE = 4096;

async function* listGenerator(c: ScanConfig): AsyncGenerator<ListedTarget, void, undefined> {
  const plan = listPlan(c);
  if (plan.end <= plan.start) return;
  const br = new Blackrock(plan.range, c.seed, c.blackrockRounds);
  const v4 = RangeList4.fromRanges(c.targets4);
  const v6 = RangeList6.fromRanges(c.targets6);
  const ports = c.ports.length > 0 ? new PortList(c.ports) : undefined;
  const block4 = plan.n4 * plan.ports;
  const words = new Uint32Array(4);
  let n = 0;
  for (let i = plan.start; i < plan.end; i += plan.step) {
    let x = br.shuffle(i);
    let addr: string;
    let pk: number;
    if (x < block4) {
      pk = Math.floor(x / plan.n4);
      addr = ipv4ToString(v4.pick(x - pk * plan.n4));
    } else {
      x -= block4;
      pk = Math.floor(x / plan.n6);
      v6.pickWords(x - pk * plan.n6, words);
      addr = formatIPv6Words(words);
    }
    if (ports === undefined) {
      yield { addr, port: undefined, proto: undefined, index: i };
    } else {
      const internal = ports.pick(pk);
      const p = portProto(internal);
      yield { addr, port: plainPort(internal), proto: p === 'oproto' ? 'other' : p, index: i };
    }
    if (++n % SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * The -sL plan of these options as an async iterator. Bad options throw at once (ScanError
 * with `code`, the command line's message).
 */
export function listTargets(options: ListOptions): AsyncIterable<ListedTarget> & AsyncIterator<ListedTarget, void, undefined> {
  const config = configFromOptions(options, 'list', apiParseIo([]));
  return listGenerator(config);
}
