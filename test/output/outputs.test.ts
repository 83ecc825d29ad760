/** OutputSet: filters, stdout and interactive routing, closeAll, errors, registry. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ScanError } from '../../src/error.js';
import { OutputSet, outputOptionsFrom } from '../../src/output/outputs.js';
import { FORMATS, findFormat, getFormat } from '../../src/output/registry.js';
import { realFs } from '../../src/output/sink.js';
import { META, SAMPLE, options, rmDir, status, testIo, tmpDir } from './helpers.js';

function capture(fn: (fd: number) => void): string {
  const dir = tmpDir('cap');
  try {
    const f = path.join(dir, 'out');
    const fd = fs.openSync(f, 'w');
    fn(fd);
    fs.closeSync(fd);
    return fs.readFileSync(f, 'latin1');
  } finally {
    rmDir(dir);
  }
}

test('registry: one array, unique names, lookup by name and alias, clear errors', () => {
  assert.equal(new Set(FORMATS.map((f) => f.name)).size, FORMATS.length);
  assert.equal(findFormat('greppable')?.name, 'grepable');
  assert.equal(getFormat('xml').name, 'xml');
  assert.throws(() => getFormat('bogus'), (e: unknown) => e instanceof ScanError && e.code === 'ERR_BAD_OPTION' && /unknown output format: bogus/.test(e.message));
  assert.throws(() => getFormat('redis'), /redis output is not supported/);
});

test('filters: open/closed by --open-only/--show/--noshow; ARP up and banners always pass', () => {
  const lines = (showOpen: boolean, showClosed: boolean): string[] => capture((fd) => {
    const set = OutputSet.open(options({ outputs: [{ format: 'list', filename: '-' }], showOpen, showClosed }), META, { ...testIo(), stdoutFd: fd });
    for (const r of SAMPLE) set.write(r);
    set.closeAll();
  }).split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(' ')[0]!);
  const count = (l: string[], w: string): number => l.filter((x) => x === w).length;
  const openOnly = lines(true, false);
  assert.equal(count(openOnly, 'closed'), 0);
  assert.equal(count(openOnly, 'open'), 7);
  assert.equal(count(openOnly, 'up'), 1);
  assert.equal(count(openOnly, 'banner'), 5);
  const closedOnly = lines(false, true);
  assert.equal(count(closedOnly, 'open'), 0);
  assert.equal(count(closedOnly, 'closed'), 2);
  assert.equal(count(closedOnly, 'up'), 1);
  assert.equal(count(closedOnly, 'banner'), 5);
});

test('routing: no outputs -> interactive lines on stdout; files + interactive -> both', () => {
  const only = capture((fd) => {
    const set = OutputSet.open(options({ outputs: [] }), META, { ...testIo(), stdoutFd: fd });
    set.write(SAMPLE[0]!);
    set.closeAll();
  });
  assert.equal(only, 'Discovered open port 80/tcp on 10.0.0.1' + ' '.repeat(79 - 39) + '\n');
  const dir = tmpDir('route');
  try {
    const f = path.join(dir, 'a.txt');
    const both = capture((fd) => {
      const set = OutputSet.open(options({ outputs: [{ format: 'list', filename: f }], interactive: true }), META, { ...testIo(), stdoutFd: fd });
      set.write(SAMPLE[0]!);
      set.closeAll();
    });
    assert.match(both, /^Discovered open port 80\/tcp on 10\.0\.0\.1 +\n$/);
    assert.equal(fs.readFileSync(f, 'latin1'), '#masscan\nopen tcp 80 10.0.0.1 1700000000\n# end\n');
    const quiet = capture((fd) => {
      const set = OutputSet.open(options({ outputs: [{ format: 'list', filename: f }] }), META, { ...testIo(), stdoutFd: fd });
      set.write(SAMPLE[0]!);
      set.closeAll();
    });
    assert.equal(quiet, '');
  } finally {
    rmDir(dir);
  }
});

test('closeAll: idempotent, writes after close are ignored, footers once', () => {
  const dir = tmpDir('close');
  try {
    const f = path.join(dir, 'a.json');
    const set = OutputSet.open(options({ outputs: [{ format: 'json', filename: f }] }), META, testIo());
    set.write(SAMPLE[0]!);
    set.closeAll();
    set.closeAll();
    set.write(SAMPLE[1]!);
    set.flush();
    set.closeAll();
    assert.equal((JSON.parse(fs.readFileSync(f, 'latin1')) as unknown[]).length, 1);
  } finally {
    rmDir(dir);
  }
});

test('buffering: nothing reaches the file before 1 MiB or flush(); then in few large writes', () => {
  const dir = tmpDir('buf');
  try {
    const f = path.join(dir, 'a.txt');
    let writes = 0;
    const fsCount = { ...realFs, writeSync: (fd: number, b: Uint8Array, o: number, l: number): number => { writes++; return realFs.writeSync(fd, b, o, l); } };
    const set = OutputSet.open(options({ outputs: [{ format: 'list', filename: f }] }), META, { ...testIo(), fs: fsCount });
    for (let i = 0; i < 1000; i++) set.write(SAMPLE[0]!);
    assert.equal(writes, 0);
    assert.equal(fs.statSync(f).size, 0);
    set.flush();
    assert.equal(writes, 1);
    for (let i = 0; i < 100000; i++) set.write(SAMPLE[0]!);
    set.closeAll();
    assert.ok(writes <= 6, `writes ${writes}`);
    assert.equal(fs.readFileSync(f, 'latin1').split('\n').length, 101001 + 2);
  } finally {
    rmDir(dir);
  }
});

test('errors: an unwritable path is a ScanError naming it; a failing write is reported, others go on', () => {
  assert.throws(
    () => OutputSet.open(options({ outputs: [{ format: 'list', filename: '/nonexistent-dir/x.txt' }] }), META, testIo()),
    (e: unknown) => e instanceof ScanError && e.code === 'ERR_FILE' && e.message.startsWith('/nonexistent-dir/x.txt: cannot open for writing (ENOENT)'),
  );
  const dir = tmpDir('err');
  try {
    const good = path.join(dir, 'good.txt');
    const bad = path.join(dir, 'bad.txt');
    let badFd = -1;
    const failing = {
      ...realFs,
      openSync: (p: string, fl: string, m?: number): number => { const fd = realFs.openSync(p, fl, m); if (p === bad) badFd = fd; return fd; },
      writeSync: (fd: number, b: Uint8Array, o: number, l: number): number => {
        if (fd === badFd) throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
        return realFs.writeSync(fd, b, o, l);
      },
    };
    const set = OutputSet.open(options({ outputs: [{ format: 'list', filename: bad }, { format: 'list', filename: good }] }), META, { ...testIo(), fs: failing });
    set.write(SAMPLE[0]!);
    set.closeAll();
    assert.equal(set.errors.length, 1);
    assert.match(set.errors[0]!.message, /bad\.txt: write failed \(ENOSPC\)/);
    assert.equal(fs.readFileSync(good, 'latin1'), '#masscan\nopen tcp 80 10.0.0.1 1700000000\n# end\n');
  } finally {
    rmDir(dir);
  }
});

test('outputOptionsFrom maps the ScanConfig fields', () => {
  const o = outputOptionsFrom({
    outputs: [{ format: 'xml', filename: 'x' }], outputAppend: true, showOpen: true, showClosed: true, interactive: true,
    rotateSeconds: 60, rotateOffset: 5, rotateSize: 0, rotateDir: 'd', stylesheet: 's',
  });
  assert.deepEqual(o, {
    outputs: [{ format: 'xml', filename: 'x' }], append: true, showOpen: true, showClosed: true, interactive: true,
    rotateSeconds: 60, rotateOffset: 5, rotateSize: 0, rotateDir: 'd', stylesheet: 's',
  });
});

test('huge banners and records larger than the buffer are written whole', () => {
  const dir = tmpDir('huge');
  try {
    const f = path.join(dir, 'a.txt');
    const big = new Uint8Array(3 << 20).fill(0x01); // escapes to 12 MiB of text
    const set = OutputSet.open(options({ outputs: [{ format: 'list', filename: f }] }), META, testIo());
    set.write({ kind: 'banner', timestamp: 1, ip: { version: 4, v4: 1 }, ipProto: 6, port: 1, service: 'x', ttl: 1, banner: big });
    set.write(status('1.2.3.4', 6, 80, 'open', 0x12, 1, 2));
    set.closeAll();
    const text = fs.readFileSync(f, 'latin1');
    assert.equal(text.length, '#masscan\n'.length + 'banner tcp 1 0.0.0.1 1 x '.length + big.length * 4 + 1 + 'open tcp 80 1.2.3.4 2\n'.length + '# end\n'.length);
  } finally {
    rmDir(dir);
  }
});
