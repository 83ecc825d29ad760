/**
 * The HTML of a report (report.ts collects, this renders): one self-contained page.
 *
 * Guarantees:
 * - No network: nothing in the page names another resource (no link, img, font, script or
 *   style source); charts are inline SVG rendered here, in Node, by Apache ECharts' SSR mode,
 *   and no ECharts code is shipped in the page.
 * - A strict Content-Security-Policy in a meta element: `default-src 'none'`, the one style
 *   element and the one script element allowed by their SHA-256 hashes, computed here from
 *   the exact text written. No inline event handler or style attribute exists (the SVG's
 *   style attributes are turned into presentation attributes), so nothing needs
 *   'unsafe-inline'.
 * - Everything taken from a scan (addresses are ours, but banners, service names, certificate
 *   fields are whatever a server sent) goes through `h()`; banner bytes are first escaped as
 *   in the text outputs (`\xNN`), so the page never holds a raw control byte.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { BannerEntry, CertEntry, HostEntry, PortEntry, ReportData } from './report.js';
import { LIMITS } from './report.js';

/** HTML text and attribute escaping (both contexts, double-quoted attributes). */
export function h(s: string): string {
  return s.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case "'": return '&#39;';
      default: return '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
    }
  });
}

/** `2026-12-03 22:10:05Z` (UTC), or '' for a missing time. */
export function utc(unixSeconds: number | undefined): string {
  if (unixSeconds === undefined || !Number.isFinite(unixSeconds)) return '';
  return new Date(unixSeconds * 1000).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

// ---- charts ---------------------------------------------------------------------------------

/** The part of ECharts' API used here (its SSR mode). */
interface EChartsSsr {
  init(dom: null, theme: null, opts: { renderer: 'svg'; ssr: true; width: number; height: number }): {
    setOption(option: object): void;
    renderToSVGString(): string;
    dispose(): void;
  };
}

let echartsLib: EChartsSsr | undefined;

/**
 * ECharts, loaded on first use: synchronously (a report is rendered in a footer, which is
 * synchronous) through its CommonJS build, and only when a report is written, so no other
 * output pays for its load.
 */
function echarts(): EChartsSsr {
  if (echartsLib === undefined) {
    const require = createRequire(import.meta.url);
    echartsLib = require('echarts') as EChartsSsr;
  }
  return echartsLib;
}

/**
 * ECharts' SVG made fit for the page's CSP: style attributes become presentation attributes
 * (only properties SVG has as attributes, with values of safe characters), and the hover
 * `<style>` element it adds is dropped (nothing is interactive without its script).
 */
export function cspSafeSvg(svg: string): string {
  return svg
    .replace(/<style\b[\s\S]*?<\/style>/g, '')
    // The hover classes of that style (numbered by a global counter, so they would make two
    // renderings of the same data differ) and the hydration metadata of ECharts' SSR client.
    .replace(/\sclass="zr\d+-cls-\d+"/g, '')
    .replace(/\secmeta_[a-z_]+="[^"]*"/g, '')
    .replace(/\sstyle="([^"]*)"/g, (_m, decl: string) => {
      let out = '';
      for (const part of decl.split(';')) {
        const i = part.indexOf(':');
        if (i < 0) continue;
        const prop = part.slice(0, i).trim().toLowerCase();
        const value = part.slice(i + 1).trim();
        if (SVG_PRESENTATION.has(prop) && /^[\w .,#%()&;-]*$/.test(value)) out += ` ${prop}="${value}"`;
      }
      return out;
    });
}

const SVG_PRESENTATION = new Set([
  'font-size', 'font-family', 'font-weight', 'font-style', 'fill', 'fill-opacity', 'stroke', 'stroke-width',
  'stroke-opacity', 'opacity', 'text-anchor', 'dominant-baseline', 'paint-order', 'stroke-linecap', 'stroke-linejoin',
]);

const FONT = 'system-ui, sans-serif';
const PALETTE = ['#2f6fdd', '#1fa67a', '#f0a020', '#d9485f', '#7a5cd6', '#2aa4c8', '#8a9a2e', '#c2668a', '#6b7280', '#b45309'];

/**
 * One chart as SVG. `id` names its element ids (clip paths): ECharts numbers them with a
 * global counter, which would make them depend on what was rendered before.
 */
function chart(id: string, option: Record<string, unknown>, width: number, height: number): string {
  const c = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    c.setOption({ animation: false, color: PALETTE, textStyle: { fontFamily: FONT }, ...option });
    return cspSafeSvg(c.renderToSVGString()).replace(/\bzr\d+-/g, `${id}-`);
  } finally {
    c.dispose();
  }
}

function barChart(id: string, labels: string[], values: number[], o: { horizontal?: boolean; name: string; height?: number }): string {
  const cat = { type: 'category', data: labels, axisLabel: { interval: 0, fontSize: 11 }, axisTick: { alignWithLabel: true } };
  const val = { type: 'value', minInterval: 1, name: o.horizontal === true ? '' : o.name, nameTextStyle: { fontSize: 11 } };
  return chart(id, {
    grid: { left: o.horizontal === true ? 110 : 48, right: 24, top: 28, bottom: 36 },
    xAxis: o.horizontal === true ? val : cat,
    yAxis: o.horizontal === true ? { ...cat, inverse: true } : val,
    series: [{ type: 'bar', data: values, barMaxWidth: 36, label: { show: true, position: o.horizontal === true ? 'right' : 'top', fontSize: 11 } }],
  }, 460, o.height ?? 300);
}

/** A service label for an open port: the banner's protocol, else the services table's name. */
export function serviceOf(p: PortEntry, d: ReportData): string {
  if (p.detected !== undefined) return p.detected;
  const n = d.services.port(p.ipProto, p.port);
  return n === 'unknown' ? `${p.port}/${p.proto}` : n;
}

/** Label text in a chart is ours to bound: at most 18 characters. */
function clip(s: string): string {
  return s.length > 18 ? s.slice(0, 17) + '…' : s;
}

function servicesChart(d: ReportData): string | undefined {
  const by = new Map<string, number>();
  for (const p of d.ports.values()) if (p.status === 'open') by.set(serviceOf(p, d), (by.get(serviceOf(p, d)) ?? 0) + 1);
  if (by.size === 0) return undefined;
  const sorted = [...by].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const top = sorted.slice(0, 12);
  const rest = sorted.slice(12).reduce((s, [, n]) => s + n, 0);
  if (rest > 0) top.push([`other (${sorted.length - 12})`, rest]);
  return barChart('services', top.map(([k]) => clip(k)), top.map(([, n]) => n), { horizontal: true, name: 'open ports', height: Math.max(160, 60 + top.length * 22) });
}

function hostsChart(d: ReportData): string | undefined {
  const bins = new Array<number>(10).fill(0);
  let any = false;
  for (const h of d.hosts.values()) {
    if (h.open === 0) continue;
    bins[Math.min(h.open, 10) - 1]!++;
    any = true;
  }
  if (!any) return undefined;
  let last = 9;
  while (last > 0 && bins[last] === 0) last--;
  const labels = bins.slice(0, last + 1).map((_, i) => (i === 9 ? '10+' : String(i + 1)));
  return barChart('hosts', labels, bins.slice(0, last + 1), { name: 'hosts' });
}

const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400, 604800];

function timeChart(d: ReportData): string | undefined {
  if (d.discoveries.size === 0) return undefined;
  const times = [...d.discoveries.keys()].sort((a, b) => a - b);
  const t0 = times[0]!;
  const span = times[times.length - 1]! - t0;
  const step = STEPS.find((s) => span / s <= 60) ?? Math.ceil(span / 60);
  const n = Math.floor(span / step) + 1;
  const per = new Array<number>(n).fill(0);
  for (const [t, c] of d.discoveries) per[Math.floor((t - t0) / step)]! += c;
  const cum: number[] = [];
  let s = 0;
  for (const v of per) cum.push((s += v));
  const labels = per.map((_, i) => {
    const t = t0 + i * step;
    return step >= 86400 ? utc(t).slice(0, 10) : utc(t).slice(11, 19);
  });
  return chart('time', {
    grid: { left: 52, right: 52, top: 48, bottom: 40 },
    legend: { top: 0, textStyle: { fontSize: 11 } },
    xAxis: { type: 'category', data: labels, axisLabel: { fontSize: 11 }, name: `UTC, ${step} s per bar`, nameLocation: 'middle', nameGap: 26, nameTextStyle: { fontSize: 11 } },
    yAxis: [{ type: 'value', minInterval: 1, name: 'per bar', nameTextStyle: { fontSize: 11 } }, { type: 'value', minInterval: 1, name: 'total', nameTextStyle: { fontSize: 11 } }],
    series: [
      { type: 'bar', name: 'open ports found', data: per, barMaxWidth: 24 },
      { type: 'line', name: 'cumulative', yAxisIndex: 1, data: cum, showSymbol: n <= 30 },
    ],
  }, 460, 300);
}

function tlsChart(d: ReportData): string | undefined {
  if (d.tlsVersions.size === 0) return undefined;
  const entries = [...d.tlsVersions].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return chart('tls', {
    legend: { bottom: 0, textStyle: { fontSize: 11 } },
    series: [{
      type: 'pie', radius: ['38%', '66%'], center: ['50%', '45%'],
      label: { formatter: '{b}: {c}', fontSize: 12 },
      data: entries.map(([name, value]) => ({ name: clip(name), value })),
    }],
  }, 460, 300);
}

const EXPIRY_BINS = ['expired', '< 30 days', '30–90 days', '90 days–1 year', '> 1 year'] as const;

export function expiryBin(validToMs: number, nowMs: number): number {
  const days = (validToMs - nowMs) / 86_400_000;
  return days < 0 ? 0 : days < 30 ? 1 : days < 90 ? 2 : days < 365 ? 3 : 4;
}

function expiryChart(d: ReportData): string | undefined {
  const bins = new Array<number>(EXPIRY_BINS.length).fill(0);
  let any = false;
  for (const c of d.certs.values()) {
    if (!Number.isFinite(c.validTo)) continue;
    bins[expiryBin(c.validTo, d.generatedMs)]!++;
    any = true;
  }
  if (!any) return undefined;
  return chart('expiry', {
    grid: { left: 48, right: 24, top: 28, bottom: 36 },
    xAxis: { type: 'category', data: [...EXPIRY_BINS], axisLabel: { interval: 0, fontSize: 11 } },
    yAxis: { type: 'value', minInterval: 1, name: 'certificates', nameTextStyle: { fontSize: 11 } },
    series: [{
      type: 'bar', barMaxWidth: 40, label: { show: true, position: 'top', fontSize: 11 },
      data: bins.map((v, i) => ({ value: v, itemStyle: { color: ['#d9485f', '#f0a020', '#e8c547', '#2f6fdd', '#1fa67a'][i] } })),
    }],
  }, 460, 300);
}

// ---- page -----------------------------------------------------------------------------------

const CSS = `
:root{color-scheme:light;--fg:#1f2430;--mut:#5b6475;--line:#dde2ea;--bg:#f6f8fb;--acc:#2f6fdd}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#17203a;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c4cbe0;font-size:13px}
nav{display:flex;gap:18px;padding:8px 28px;background:#fff;border-bottom:1px solid var(--line);position:sticky;top:0;z-index:1}
nav a{color:var(--acc);text-decoration:none}
main{padding:12px 28px 40px}
section{margin-top:22px}
h2{font-size:17px;margin:0 0 10px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:22px}
.card span{color:var(--mut);font-size:12px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:14px 0 0;font-size:13px}
dl.meta dt{color:var(--mut)}
dl.meta dd{margin:0;word-break:break-all}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:14px}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px}
figcaption{font-weight:600;margin-bottom:4px}
figure svg{max-width:100%;height:auto;display:block}
figure p{color:var(--mut)}
.tools{display:flex;align-items:center;gap:12px;margin-bottom:8px}
input[type=search]{padding:5px 9px;border:1px solid var(--line);border-radius:6px;min-width:260px;font:inherit}
.count{color:var(--mut);font-size:12px}
.wrap{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#eef2f8;cursor:pointer;user-select:none;white-space:nowrap;position:relative}
th::after{content:"\\2195";color:#9aa3b5;margin-left:5px;font-size:11px}
th[aria-sort=ascending]::after{content:"\\2191";color:var(--acc)}
th[aria-sort=descending]::after{content:"\\2193";color:var(--acc)}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td code{white-space:pre-wrap;word-break:break-all;font:12px/1.4 ui-monospace,monospace}
.open{color:#127a52;font-weight:600}.closed{color:#9a3b3b}
.bad{color:#b42318;font-weight:600}.warn{color:#a15c00;font-weight:600}
.note{color:var(--mut);font-size:12px;margin:6px 0 0}
footer{color:var(--mut);font-size:12px;padding:0 28px 24px}
`;

/**
 * Sorting and filtering of the tables: a click (or Enter) on a header sorts by that column
 * (numbers by value, `data-k` keys when a cell has one; each key read once per sort, so 5,000
 * rows sort at once), a filter box hides the rows that do not contain its text. No inline
 * handlers (the CSP forbids them): listeners only.
 */
const JS = `
(function(){
  function key(c){return c.hasAttribute('data-k')?c.getAttribute('data-k'):c.textContent;}
  function sort(t,i,th){
    var asc=th.getAttribute('aria-sort')!=='ascending';
    var hs=th.parentNode.cells;
    for(var j=0;j<hs.length;j++)hs[j].removeAttribute('aria-sort');
    th.setAttribute('aria-sort',asc?'ascending':'descending');
    var num=th.getAttribute('data-t')==='n';
    var b=t.tBodies[0],rows=b.rows,ks=[];
    for(var j=0;j<rows.length;j++){var v=key(rows[j].cells[i]);ks.push({k:num?Number(v):v,r:rows[j]});}
    ks.sort(function(x,y){var r=x.k<y.k?-1:x.k>y.k?1:0;return asc?r:-r;});
    var f=document.createDocumentFragment();
    for(var j=0;j<ks.length;j++)f.appendChild(ks[j].r);
    b.appendChild(f);
  }
  var ts=document.querySelectorAll('table[data-sortable]');
  for(var k=0;k<ts.length;k++)(function(t){
    var hs=t.tHead.rows[0].cells;
    for(var i=0;i<hs.length;i++)(function(th,i){
      th.tabIndex=0;
      th.addEventListener('click',function(){sort(t,i,th);});
      th.addEventListener('keydown',function(e){if(e.key==='Enter')sort(t,i,th);});
    })(hs[i],i);
  })(ts[k]);
  var fs=document.querySelectorAll('input[data-filter]');
  for(var m=0;m<fs.length;m++)(function(f){
    var t=document.getElementById(f.getAttribute('data-filter'));
    var out=document.getElementById(f.getAttribute('data-filter')+'-count');
    f.addEventListener('input',function(){
      var q=f.value.toLowerCase(),n=0,rows=t.tBodies[0].rows;
      for(var r=0;r<rows.length;r++){
        var show=q===''||rows[r].textContent.toLowerCase().indexOf(q)>=0;
        rows[r].hidden=!show;if(show)n++;
      }
      if(out)out.textContent=n+' of '+rows.length+' shown';
    });
  })(fs[m]);
})();
`;

interface Col<T> {
  readonly title: string;
  readonly num?: boolean;
  /** The cell's HTML (already escaped) and its sort key (escaped here). */
  readonly cell: (row: T) => string;
  readonly key?: (row: T) => string;
}

function table<T>(id: string, what: string, rows: readonly T[], total: number, cols: readonly Col<T>[]): string {
  if (total === 0) return `<p class="note">No ${h(what)}.</p>`;
  const shown = rows.length;
  let s = `<div class="tools"><input type="search" placeholder="Filter ${h(what)}…" aria-label="Filter ${h(what)}" data-filter="${id}">` +
    `<span class="count" id="${id}-count">${shown} of ${shown} shown</span></div>`;
  s += `<div class="wrap"><table id="${id}" data-sortable><thead><tr>`;
  for (const c of cols) s += `<th scope="col"${c.num === true ? ' data-t="n"' : ''}>${h(c.title)}</th>`;
  s += '</tr></thead><tbody>\n';
  for (const r of rows) {
    s += '<tr>';
    for (const c of cols) {
      const k = c.key === undefined ? '' : ` data-k="${h(c.key(r))}"`;
      s += `<td${c.num === true ? ' class="n"' : ''}${k}>${c.cell(r)}</td>`;
    }
    s += '</tr>\n';
  }
  s += '</tbody></table></div>';
  if (total > shown) s += `<p class="note">${total - shown} more ${h(what)} not listed (the totals and charts count them).</p>`;
  return s;
}

function byAddrPort<T extends { ipKey: string; port: number }>(a: T, b: T): number {
  return a.ipKey < b.ipKey ? -1 : a.ipKey > b.ipKey ? 1 : a.port - b.port;
}

function firstRows<T>(values: Iterable<T>, cmp: (a: T, b: T) => number): { rows: T[]; total: number } {
  const all = [...values];
  all.sort(cmp);
  return { rows: all.slice(0, LIMITS.rows), total: all.length };
}

function hostsTable(d: ReportData): string {
  const { rows, total } = firstRows(d.hosts.values(), (a: HostEntry, b: HostEntry) => (a.ipKey < b.ipKey ? -1 : 1));
  return table('hosts-table', 'hosts', rows, total, [
    { title: 'Address', cell: (r) => h(r.ip), key: (r) => r.ipKey },
    { title: 'Open', num: true, cell: (r) => String(r.open) },
    { title: 'Closed', num: true, cell: (r) => String(r.closed) },
    { title: 'Open ports', cell: (r) => h([...r.openPorts].sort((a, b) => parseInt(a, 10) - parseInt(b, 10)).join(', ') + (r.open > r.openPorts.length ? ', …' : '')) },
    { title: 'Banners', num: true, cell: (r) => String(r.banners) },
    { title: 'MAC', cell: (r) => h(r.mac ?? '') },
    { title: 'First seen', cell: (r) => h(utc(r.first)), key: (r) => String(r.first).padStart(12, '0') },
  ]);
}

function portsTable(d: ReportData): string {
  const { rows, total } = firstRows(d.ports.values(), byAddrPort);
  return table('ports-table', 'ports', rows, total, [
    { title: 'Address', cell: (r: PortEntry) => h(r.ip), key: (r) => r.ipKey },
    { title: 'Port', num: true, cell: (r) => String(r.port) },
    { title: 'Proto', cell: (r) => h(r.proto) },
    { title: 'Status', cell: (r) => `<span class="${r.status === 'open' ? 'open' : 'closed'}">${h(r.status)}</span>` },
    { title: 'Service', cell: (r) => h(serviceOf(r, d)) },
    { title: 'Reason', cell: (r) => h(r.reason) },
    { title: 'TTL', num: true, cell: (r) => String(r.ttl) },
    { title: 'Seen', cell: (r) => h(utc(r.first)), key: (r) => String(r.first).padStart(12, '0') },
  ]);
}

function bannersTable(d: ReportData): string {
  const rows = [...d.banners].sort(byAddrPort);
  return table('banners-table', 'banners', rows, rows.length + d.counts.bannersNotListed, [
    { title: 'Address', cell: (r: BannerEntry) => h(r.ip), key: (r) => r.ipKey },
    { title: 'Port', num: true, cell: (r) => String(r.port) },
    { title: 'Proto', cell: (r) => h(r.proto) },
    { title: 'Service', cell: (r) => h(r.service) },
    // A line break after each escaped LF (the code element keeps it), so multi-line banners
    // read as lines; the escapes themselves stay, so the bytes are still exactly visible.
    { title: 'Banner', cell: (r) => `<code>${h(r.text).replace(/\\x0a/g, '\\x0a\n')}</code>${r.cut ? `<span class="note"> … (${r.bytes} bytes)</span>` : ''}` },
  ]);
}

function cn(dn: string): string {
  const m = /(?:^|\n)CN=([^\n]*)/.exec(dn);
  return m !== null ? m[1]! : dn.replace(/\n/g, ', ');
}

function certsTable(d: ReportData): string {
  const rows = [...d.certs.values()].sort((a, b) => (a.validTo || 0) - (b.validTo || 0));
  const now = d.generatedMs;
  const cls = (c: CertEntry): string => {
    const b = expiryBin(c.validTo, now);
    return b === 0 ? 'bad' : b === 1 ? 'warn' : '';
  };
  return table('certs-table', 'certificates', rows, rows.length + d.counts.certsNotListed, [
    { title: 'Subject', cell: (r: CertEntry) => r.error !== undefined ? `<span class="bad">unparsable: ${h(r.error)}</span>` : h(cn(r.subject)) },
    { title: 'Issuer', cell: (r) => h(cn(r.issuer)) + (r.selfSigned ? ' <span class="note">(self-signed)</span>' : '') },
    { title: 'Names', cell: (r) => h(r.names.replace(/DNS:/g, '')) },
    { title: 'Expires', cell: (r) => `<span${cls(r) === '' ? '' : ` class="${cls(r)}"`}>${h(utc(r.validTo / 1000).slice(0, 10))}</span>`, key: (r) => String(Number.isFinite(r.validTo) ? r.validTo : 0).padStart(15, '0') },
    { title: 'Days left', num: true, cell: (r) => Number.isFinite(r.validTo) ? String(Math.floor((r.validTo - now) / 86_400_000)) : '' },
    { title: 'Seen at', cell: (r) => h(r.endpoints.join(', ') + (r.seen > r.endpoints.length ? ` (+${r.seen - r.endpoints.length})` : '')) },
    { title: 'SHA-256', cell: (r) => `<code>${h(r.fingerprint)}</code>` },
  ]);
}

function figure(title: string, svg: string | undefined, empty: string): string {
  return `<figure><figcaption>${h(title)}</figcaption>${svg ?? `<p>${h(empty)}</p>`}</figure>`;
}

function card(n: number | string, what: string): string {
  return `<div class="card"><b>${h(String(n))}</b><span>${h(what)}</span></div>`;
}

/** The whole page. Deterministic: the same data gives the same bytes. */
export function renderReport(d: ReportData): string {
  const c = d.counts;
  const services = new Set<string>();
  for (const p of d.ports.values()) if (p.status === 'open') services.add(serviceOf(p, d));
  const start = d.meta.readscan === true ? d.firstSeen : d.meta.startTime;
  const duration = d.firstSeen !== undefined && d.lastSeen !== undefined ? d.lastSeen - d.firstSeen : undefined;
  const meta: [string, string][] = [
    ['Scan started', utc(start)],
    ['First / last result', d.firstSeen === undefined ? 'none' : `${utc(d.firstSeen)} / ${utc(d.lastSeen)} (${duration} s)`],
    ['Records read', `${c.records} (${c.statusRecords} status, ${c.bannerRecords} banner)`],
    ['tidescan', d.meta.version],
    ['Report written', utc(Math.floor(d.generatedMs / 1000))],
  ];
  if (d.meta.commandLine !== '') meta.splice(3, 0, ['Command line', d.meta.commandLine]);
  if (c.overflow > 0) meta.push(['Beyond the report\'s limits', `${c.overflow} records counted in the record total only`]);

  const body =
    `<header><h1>tidescan report</h1><p>${h(d.firstSeen === undefined ? 'no results' : `${c.up} hosts up, ${c.open} open ports, ${d.banners.length + c.bannersNotListed} banners`)}` +
    ` · written ${h(utc(Math.floor(d.generatedMs / 1000)))}</p></header>\n` +
    '<nav><a href="#summary">Summary</a><a href="#charts">Charts</a><a href="#hosts">Hosts</a><a href="#ports">Ports</a>' +
    '<a href="#banners">Banners</a><a href="#certs">Certificates</a></nav>\n<main>\n' +
    `<section id="summary"><h2>Summary</h2><div class="cards">${card(c.up, 'hosts up')}${card(c.open, 'open ports')}` +
    `${c.closed > 0 ? card(c.closed, 'closed ports') : ''}${card(services.size, 'services')}${card(d.banners.length + c.bannersNotListed, 'banners')}` +
    `${card(d.certs.size + c.certsNotListed, 'certificates')}</div>\n<dl class="meta">` +
    meta.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('') + '</dl></section>\n' +
    '<section id="charts"><h2>Charts</h2><div class="charts">' +
    figure('Open ports by service', servicesChart(d), 'No open ports.') +
    figure('Hosts by number of open ports', hostsChart(d), 'No open ports.') +
    figure('Discoveries over time', timeChart(d), 'No open ports.') +
    figure('TLS versions', tlsChart(d), 'No TLS banners (scan with --banners).') +
    figure('Certificate expiry', expiryChart(d), 'No certificates (scan with --banners).') +
    '</div></section>\n' +
    `<section id="hosts"><h2>Hosts</h2>${hostsTable(d)}</section>\n` +
    `<section id="ports"><h2>Ports</h2>${portsTable(d)}</section>\n` +
    `<section id="banners"><h2>Banners</h2>${bannersTable(d)}</section>\n` +
    `<section id="certs"><h2>Certificates</h2>${certsTable(d)}</section>\n` +
    '</main>\n<footer>Written by tidescan. This page loads nothing: its charts were drawn when it was written, ' +
    'and its only script sorts and filters the tables.</footer>\n';

  const csp = `default-src 'none'; style-src ${sha256(CSS)}; script-src ${sha256(JS)}; img-src 'none'; ` +
    "base-uri 'none'; form-action 'none'";
  return '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<meta http-equiv="Content-Security-Policy" content="${csp}">\n` +
    '<meta name="referrer" content="no-referrer">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>tidescan report</title>\n<style>${CSS}</style>\n</head>\n<body>\n${body}<script>${JS}</script>\n</body>\n</html>\n`;
}
