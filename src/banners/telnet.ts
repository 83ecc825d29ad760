/**
 * Telnet banners (reference masscan-compat §9.2-9.4; RFC 854, RFC 855).
 *
 * The `telnet` banner is the printable text the server sends (bytes 0x20-0x7e, TAB, CR, LF),
 * with option negotiation taken out and answered:
 * - `IAC DO x` is refused with `IAC WONT x` and `IAC WILL x` with `IAC DONT x` (RFC 854: "the
 *   receiver ... may reject the request"), except WILL ECHO (1) and WILL SUPPRESS-GO-AHEAD (3),
 *   accepted with `IAC DO x`: servers want them before they show a login prompt;
 * - `WONT`/`DONT` need no answer (we are in the default state already);
 * - RFC 854: "a party may not send a request to change to a mode it is already in": each
 *   option is answered once per connection, so a server repeating itself cannot make us loop;
 * - subnegotiation (`IAC SB ... IAC SE`, RFC 855) is skipped; `IAC IAC` is a 0xff data byte
 *   (not printable: dropped).
 *
 * The hello (port 23, §9.3): `IAC NOP`. We close once the text ends in a prompt (`login:`,
 * `username:`, `password:`; the banner ends at the colon) or after TELNET_LIMITS.text bytes of text.
 */
import type { AppName, BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';

export const TELNET_LIMITS = {
  /** Printable bytes kept before we close. */
  text: 2048,
  /** Bytes of one subnegotiation skipped before we give up on the connection. */
  subneg: 4096,
} as const;

export const IAC = 255;
export const DONT = 254;
export const DO = 253;
export const WONT = 252;
export const WILL = 251;
export const SB = 250;
export const SE = 240;
export const NOP = 241;
const OPT_ECHO = 1;
const OPT_SGA = 3;

const enum S {
  Data,
  Iac,
  /** After IAC WILL/WONT/DO/DONT: the option byte. */
  Option,
  Sub,
  SubIac,
  Done,
}

/** Prompts that end the banner (lower case, as the text's tail is compared), as bytes. */
const PROMPTS: readonly Uint8Array[] = ['login:', 'username:', 'password:'].map((p) => Uint8Array.from(Buffer.from(p, 'latin1')));
const TAIL = 16;

class TelnetParser implements BannerParser {
  private s = S.Data;
  private verb = 0;
  /** Options answered already (bit 0: a DO/DONT of ours, bit 1: a WILL/WONT of ours). */
  private readonly answered = new Uint8Array(256);
  private text = 0;
  private sub = 0;
  /** The last printable bytes, lower case, to spot a prompt (a ring of TAIL bytes). */
  private readonly tail = new Uint8Array(TAIL);
  private reply: number[] = [];

  constructor(private readonly out: BannerOut, private readonly conv: Conversation) {}

  data(buf: Uint8Array, off: number, len: number): void {
    if (off < 0 || len <= 0 || off + len > buf.length) return;
    const end = off + len;
    let run = -1; // start of a run of printable bytes in buf
    for (let i = off; i < end && this.s !== S.Done; i++) {
      const b = buf[i]!;
      if (this.s === S.Data && b !== IAC && printable(b)) {
        if (run < 0) run = i;
        this.text++;
        this.tail[this.text % TAIL] = lower(b);
        if (this.text >= TELNET_LIMITS.text || this.prompt()) {
          this.out.append('telnet', buf, run, i + 1 - run);
          run = -1;
          this.s = S.Done;
          this.flush();
          this.conv.close();
          return;
        }
        continue;
      }
      if (run >= 0) {
        this.out.append('telnet', buf, run, i - run);
        run = -1;
      }
      this.byte(b);
    }
    if (run >= 0) this.out.append('telnet', buf, run, end - run);
    this.flush();
  }

  end(): void {
    this.s = S.Done;
  }

  /** Whether the printable text so far ends with one of PROMPTS. */
  private prompt(): boolean {
    outer: for (const p of PROMPTS) {
      if (p.length > this.text) continue;
      for (let k = 0; k < p.length; k++) {
        if (this.tail[(this.text - k) % TAIL] !== p[p.length - 1 - k]) continue outer;
      }
      return true;
    }
    return false;
  }

  private flush(): void {
    if (this.reply.length === 0) return;
    this.conv.send(Uint8Array.from(this.reply));
    this.reply = [];
  }

  /** A byte that is not printable data. */
  private byte(b: number): void {
    switch (this.s) {
      case S.Data:
        if (b === IAC) this.s = S.Iac;
        return; // other control bytes are dropped
      case S.Iac:
        if (b === WILL || b === WONT || b === DO || b === DONT) {
          this.verb = b;
          this.s = S.Option;
        } else if (b === SB) {
          this.sub = 0;
          this.s = S.Sub;
        } else {
          this.s = S.Data; // IAC IAC (a data 0xff, not printable), NOP, GA, ...: nothing to do
        }
        return;
      case S.Option:
        this.answer(this.verb, b);
        this.s = S.Data;
        return;
      case S.Sub:
      case S.SubIac:
        if (++this.sub > TELNET_LIMITS.subneg) {
          this.s = S.Done;
          this.conv.close();
          return;
        }
        if (this.s === S.SubIac) this.s = b === SE ? S.Data : S.Sub;
        else if (b === IAC) this.s = S.SubIac;
        return;
      default:
        return;
    }
  }

  private answer(verb: number, opt: number): void {
    if (verb === WILL || verb === WONT) {
      if (this.answered[opt]! & 1) return;
      this.answered[opt]! |= 1;
      if (verb === WONT) return;
      this.reply.push(IAC, opt === OPT_ECHO || opt === OPT_SGA ? DO : DONT, opt);
    } else {
      if (this.answered[opt]! & 2) return;
      this.answered[opt]! |= 2;
      if (verb === DONT) return;
      this.reply.push(IAC, WONT, opt);
    }
  }
}

function printable(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || b === 0x09 || b === 0x0a || b === 0x0d;
}

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** The `telnet` module. */
export function telnetModule(): BannerModule {
  const nop = Uint8Array.of(IAC, NOP);
  return {
    name: 'telnet',
    hello: (_t: TargetInfo) => nop,
    open: (_t, out, conv) => new TelnetParser(out, conv),
  };
}

export const TELNET_APPS: readonly AppName[] = ['telnet'];
