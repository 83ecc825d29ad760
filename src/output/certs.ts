/**
 * Format `certs` (reference §4.9): the X.509 certificates found in banners (services `X509`
 * and `X509CA`, whose banner is the base64 DER), each in PEM armour with 72-column lines as
 * masscan prints them, and masscan's `{finished: 1}` footer. Other records are not printed.
 */
import type { AppendState, FormatState, OutputFormat } from './format.js';
import type { BannerRecord } from '../core/record.js';
import type { Sink } from './sink.js';

class CertsState implements FormatState {
  header(): void {}
  status(): void {}
  banner(w: Sink, r: BannerRecord): void {
    if (r.service !== 'X509' && r.service !== 'X509CA') return;
    // Keep base64 characters only: the banner is untrusted text.
    const b64 = Buffer.from(r.banner).toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
    let s = '-----BEGIN CERTIFICATE-----\n';
    for (let i = 0; i < b64.length; i += 72) s += b64.slice(i, i + 72) + '\n';
    w.text(s + '-----END CERTIFICATE-----\n');
  }
  footer(w: Sink): void {
    w.text('{finished: 1}\n');
  }
  resume(_s: AppendState): void {}
}

export const certsFormat: OutputFormat = {
  name: 'certs',
  description: 'X.509 certificates from banners, PEM',
  extension: '.pem',
  alwaysComplete: false,
  create: () => new CertsState(),
};
