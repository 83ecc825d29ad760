/**
 * POP3 and IMAP4 banners (reference masscan-compat §9.3, §9.4; RFC 1939, RFC 2449, RFC 2595,
 * RFC 9051). The server greets first; its lines are the `pop` / `imap` banner.
 *
 * POP3: after `+OK` we send `CAPA` (RFC 2449 §5) and read its answer (`+OK` and a list ended
 * by a line holding only `.`, or `-ERR`), then `STLS` (RFC 2595 §4); on `+OK` the TLS hello.
 *
 * IMAP4: after `* OK` we send `a001 CAPABILITY`, read up to its tagged answer, then
 * `a002 STARTTLS`; on `a002 OK` the TLS hello.
 *
 * After the hello the registry's `ssl` module records `ssl`/`X509`/`X509CA`.
 */
import type { AppName, BannerModule, BannerOut, Conversation, TargetInfo } from './module.js';
import { Line, LineParser, type ModuleLookup } from './lines.js';

const enum Pop {
  Greeting,
  CapaStatus,
  CapaList,
  Stls,
}

class PopParser extends LineParser {
  private phase = Pop.Greeting;

  constructor(t: TargetInfo, out: BannerOut, conv: Conversation, lookup: ModuleLookup) {
    super('pop', t, out, conv, lookup);
  }

  protected step(l: Line): void {
    switch (this.phase) {
      case Pop.Greeting:
        if (!l.startsWith('+OK')) return this.close();
        this.say('CAPA');
        this.phase = Pop.CapaStatus;
        return;
      case Pop.CapaStatus:
        if (l.startsWith('+OK')) {
          this.phase = Pop.CapaList;
          return;
        }
        this.stls(); // -ERR: no CAPA, STLS may still work
        return;
      case Pop.CapaList:
        // RFC 1939 §3: a multi-line response ends with "a line containing just '.'"
        if (l.len === 1 && l.at(0) === 0x2e) this.stls();
        return;
      case Pop.Stls:
        if (l.startsWith('+OK')) this.startTls();
        else this.close();
        return;
    }
  }

  private stls(): void {
    this.say('STLS');
    this.phase = Pop.Stls;
  }
}

const enum Imap {
  Greeting,
  Capability,
  StartTls,
}

class ImapParser extends LineParser {
  private phase = Imap.Greeting;

  constructor(t: TargetInfo, out: BannerOut, conv: Conversation, lookup: ModuleLookup) {
    super('imap', t, out, conv, lookup);
  }

  protected step(l: Line): void {
    switch (this.phase) {
      case Imap.Greeting:
        // `* PREAUTH` and `* BYE` greetings leave nothing to negotiate
        if (!l.startsWith('* OK')) return this.close();
        this.say('a001 CAPABILITY');
        this.phase = Imap.Capability;
        return;
      case Imap.Capability:
        if (!l.startsWith('a001 ')) return; // untagged `* CAPABILITY ...`
        this.say('a002 STARTTLS');
        this.phase = Imap.StartTls;
        return;
      case Imap.StartTls:
        if (!l.startsWith('a002 ')) return;
        if (l.startsWith('a002 OK')) this.startTls();
        else this.close();
        return;
    }
  }
}

/** The `pop` module. */
export function popModule(lookup: ModuleLookup): BannerModule {
  return {
    name: 'pop',
    hello: (_t: TargetInfo) => null,
    open: (t, out, conv) => new PopParser(t, out, conv, lookup),
  };
}

/** The `imap` module. */
export function imapModule(lookup: ModuleLookup): BannerModule {
  return {
    name: 'imap',
    hello: (_t: TargetInfo) => null,
    open: (t, out, conv) => new ImapParser(t, out, conv, lookup),
  };
}

export const POP_APPS: readonly AppName[] = ['pop', 'ssl', 'X509', 'X509CA'];
export const IMAP_APPS: readonly AppName[] = ['imap', 'ssl', 'X509', 'X509CA'];
