/**
 * Golden files: each format writes the SAMPLE records with fixed metadata and clock; the
 * result must equal test/output/golden/<format><ext> byte for byte. Regenerate with
 * UPDATE_GOLDEN=1 (then review the diff). Also: the empty-scan behaviour of every format,
 * and the checkers (xmllint with nmap.dtd, xsltproc with nmap.xsl, jq).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OutputSet } from '../../src/output/outputs.js';
import { FORMATS } from '../../src/output/registry.js';
import {
  GOLDEN_DIR, META, NMAP_XSL, SAMPLE, jqValid, options, requireTool, rmDir, run, testIo, tmpDir, xmlValid,
} from './helpers.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';

function writeAll(format: string, file: string, records = SAMPLE, over = {}): void {
  const set = OutputSet.open(options({ outputs: [{ format, filename: file }], ...over }), META, testIo());
  for (const r of records) set.write(r);
  set.closeAll();
  assert.deepEqual(set.errors, []);
}

for (const f of FORMATS) {
  if (f.name === 'none') continue;
  test(`golden: ${f.name}`, () => {
    const dir = tmpDir('golden');
    try {
      const out = path.join(dir, 'out' + f.extension);
      writeAll(f.name, out);
      const got = fs.readFileSync(out);
      const golden = path.join(GOLDEN_DIR, `${f.name}${f.extension}`);
      if (UPDATE) fs.writeFileSync(golden, got);
      assert.ok(fs.existsSync(golden), `missing ${golden} (run with UPDATE_GOLDEN=1)`);
      assert.equal(got.toString('latin1'), fs.readFileSync(golden).toString('latin1'));
    } finally {
      rmDir(dir);
    }
  });
}

test('golden: stylesheet line in XML', () => {
  const dir = tmpDir('xsl');
  try {
    const out = path.join(dir, 'out.xml');
    writeAll('xml', out, SAMPLE.slice(0, 1), { stylesheet: 'http://nmap.org/svn/docs/nmap.xsl' });
    const text = fs.readFileSync(out, 'latin1');
    assert.match(text, /^<\?xml version="1.0"\?>\r\n<!-- tidescan 0.1.0 scan -->\r\n<\?xml-stylesheet href="http:\/\/nmap.org\/svn\/docs\/nmap.xsl" type="text\/xsl"\?>\r\n<nmaprun /);
    assert.equal(xmlValid(out), '');
  } finally {
    rmDir(dir);
  }
});

test('empty scan: JSON is [], XML a valid empty nmaprun, binary header+trailer, a report page; line formats 0 bytes', () => {
  requireTool('xmllint');
  requireTool('jq');
  requireTool('masscan');
  const dir = tmpDir('empty');
  try {
    for (const f of FORMATS) {
      const out = path.join(dir, 'empty' + f.extension + '.' + f.name);
      writeAll(f.name, out, []);
      const b = fs.readFileSync(out);
      if (f.name === 'json') assert.equal(b.toString(), '[\n]\n');
      else if (f.name === 'xml') assert.equal(xmlValid(out), '');
      else if (f.name === 'report') assert.match(b.toString(), /^<!DOCTYPE html>[\s\S]*No hosts\.[\s\S]*<\/html>\n$/);
      else if (f.name === 'binary') {
        assert.equal(b.length, 198);
        assert.equal(run('masscan', ['--readscan', out, '-oL', '-']).status, 0);
      } else assert.equal(b.length, 0, f.name);
    }
  } finally {
    rmDir(dir);
  }
});

test('validity: XML passes nmap.dtd and renders with nmap.xsl; JSON/NDJSON parse with jq', () => {
  requireTool('xmllint');
  requireTool('xsltproc');
  requireTool('jq');
  const xml = path.join(GOLDEN_DIR, 'xml.xml');
  assert.equal(xmlValid(xml), '');
  const html = run('xsltproc', [NMAP_XSL, xml]);
  assert.equal(html.status, 0, html.stderr);
  assert.match(html.stdout, /2001:db8::1/);
  assert.match(html.stdout, /10\.0\.0\.1/);
  assert.equal(jqValid(path.join(GOLDEN_DIR, 'json.json')), '');
  assert.equal(jqValid(path.join(GOLDEN_DIR, 'ndjson.ndjson'), true), '');
  const n = run('jq', ['length', path.join(GOLDEN_DIR, 'json.json')]);
  assert.equal(n.stdout.trim(), String(SAMPLE.length));
  // IPv6 addresses carry addrtype="ipv6" (masscan writes "ipv4" for every address).
  const text = fs.readFileSync(xml, 'latin1');
  assert.match(text, /addr="2001:db8::1" addrtype="ipv6"/);
  assert.doesNotMatch(text, /addr="[0-9a-f:]*:[0-9a-f:]*" addrtype="ipv4"/);
});

test('JSON banners decode to the banner bytes (one code point per byte)', () => {
  const j = JSON.parse(fs.readFileSync(path.join(GOLDEN_DIR, 'json.json'), 'latin1')) as {
    ports: { service?: { banner: string } }[];
  }[];
  const b = j[4]!.ports[0]!.service!.banner;
  assert.equal(b, Buffer.from((SAMPLE[4] as { banner: Uint8Array }).banner).toString('latin1'));
});
