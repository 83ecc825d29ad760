/**
 * FTP and SMTP banners (reference masscan-compat §9.2-9.4; RFC 959, RFC 4217, RFC 5321,
 * RFC 3207). Both greet with `220`: §9.2 reads `220 ` as SMTP on ports 25 and 587 and as FTP
 * elsewhere. One parser serves both.
 *
 * FTP: the reply lines are the `ftp` banner. After the greeting's last line we send
 * `AUTH TLS` (RFC 4217 §4); on `234` our ClientHello follows and the `ssl` module records
 * `ssl`/`X509` as on port 443. Any other answer ends the conversation.
 *
 * SMTP: the lines are the `smtp` banner. After a `220` greeting we send `EHLO <name>`, after
 * its `250` `STARTTLS` (RFC 3207 §4), and on `220` the TLS hello.
 *
 * NOTE: on a port other than 25/587, a greeting that names SMTP (`220 mx ESMTP ...`: RFC 5321
 * §4.3.1 greetings usually do) is read as SMTP, not FTP as masscan would: the greeting is
 * held until its last line, then the banner is named. So an SMTP server on an unusual port
 * gets EHLO/STARTTLS, not `AUTH TLS`, and its banner is `smtp`.
 */
import type { AppName, BannerModule, BannerOut, Conversation, TargetInfo } from './module.js';
import { Line, LineParser, type ModuleLookup } from './lines.js';

/** The name we give in EHLO (masscan gives `masscan`). */
export const EHLO_NAME = 'tidescan';

const enum P {
  Greeting,
  AuthTls,
  Ehlo,
  StartTls,
}

class FtpSmtpParser extends LineParser {
  private phase = P.Greeting;
  private smtp: boolean;

  constructor(smtp: boolean, t: TargetInfo, out: BannerOut, conv: Conversation, lookup: ModuleLookup) {
    super(smtp ? 'smtp' : 'ftp', t, out, conv, lookup);
    this.smtp = smtp;
    this.hold();
  }

  protected step(l: Line): void {
    switch (this.phase) {
      case P.Greeting: {
        if (!this.smtp && l.includes('SMTP')) this.smtp = true;
        if (!l.lastOfReply()) return;
        this.release(this.smtp ? 'smtp' : 'ftp');
        // A 220 greets; 120 (ready in a while), 421 and 554 (RFC 5321 §3.1) do not.
        if (l.code() !== 220) return this.close();
        if (this.smtp) {
          this.say(`EHLO ${EHLO_NAME}`);
          this.phase = P.Ehlo;
        } else {
          this.say('AUTH TLS');
          this.phase = P.AuthTls;
        }
        return;
      }
      case P.AuthTls:
        if (!l.lastOfReply()) return;
        // RFC 4217 §4.1: "234 ... the server is ready to proceed with the TLS negotiation"
        if (l.code() === 234) this.startTls();
        else this.close();
        return;
      case P.Ehlo:
        if (!l.lastOfReply()) return;
        if (l.code() !== 250) return this.close();
        this.say('STARTTLS');
        this.phase = P.StartTls;
        return;
      case P.StartTls:
        if (!l.lastOfReply()) return;
        // RFC 3207 §4: "220 Ready to start TLS"; anything else: no TLS here
        if (l.code() === 220) this.startTls();
        else this.close();
        return;
    }
  }
}

function module(name: 'ftp' | 'smtp', lookup: ModuleLookup): BannerModule {
  return {
    name,
    // Both speak first: no probe.
    hello: (_t: TargetInfo) => null,
    open: (t, out, conv) => new FtpSmtpParser(name === 'smtp', t, out, conv, lookup),
  };
}

/** The `ftp` module: FTP, or SMTP when the greeting says so. */
export function ftpModule(lookup: ModuleLookup): BannerModule {
  return module('ftp', lookup);
}

/** The `smtp` module (detection picks it for `220 ` on 25 and 587, and for `521 `). */
export function smtpModule(lookup: ModuleLookup): BannerModule {
  return module('smtp', lookup);
}

export const FTP_APPS: readonly AppName[] = ['ftp', 'ssl', 'X509', 'X509CA'];
export const SMTP_APPS: readonly AppName[] = ['smtp', 'ssl', 'X509', 'X509CA'];
