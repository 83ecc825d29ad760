/**
 * Hostile command lines and config files: parsing either yields a config or throws a
 * ScanError (one clear line), never anything else. Bounded runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isScanError } from '../../src/error.js';
import { OPTIONS } from '../../src/cli/options.js';
import { echoConfig } from '../../src/cli/echo.js';
import { testIo, parse, parseText } from './helpers.js';

const names = OPTIONS.flatMap((d) => [d.name, ...d.aliases]).filter((n) => !['resume', 'conf', 'config', 'readscan'].includes(n));
const word = fc.oneof(
  fc.constantFrom(...names.map((n) => `--${n}`)),
  fc.constantFrom('-p', '-p80', '-sU', '-sL', '-iL', '-oX', '-e', '-S', '-g', '-v', '-d', '-c', '-Pn', '-sS', '-6'),
  fc.constantFrom('10.0.0.0/30', '::1', '[1::1]/127', '80', 'U:53', 'true', '0', '1-2', ':', '[', '', '=', 'x'),
  fc.string({ maxLength: 12 }),
);

function allowed(e: unknown): boolean {
  return isScanError(e) && !e.message.includes('\n');
}

test('fuzz: random command lines parse or fail with one ScanError line', () => {
  fc.assert(fc.property(fc.array(word, { maxLength: 8 }), (argv) => {
    try {
      const c = parse(argv, testIo({ x: '10.0.0.1\n' }));
      // whatever parsed must echo and read back to the same config
      if (c.operation === 'scan' || c.operation === 'echo') {
        const back = parseText(echoConfig(c));
        assert.deepStrictEqual({ ...back, operation: c.operation }, c);
      }
    } catch (e) {
      if (!allowed(e)) throw e;
    }
  }), { numRuns: 3000 });
});

test('fuzz: random config-file text parses or fails with one ScanError line', () => {
  const line = fc.tuple(fc.constantFrom(...names), fc.oneof(fc.string({ maxLength: 16 }), fc.constantFrom('1', 'true', '10.0.0.1', 'U:1')))
    .map(([n, v]) => `${n} = ${v}`);
  fc.assert(fc.property(fc.array(fc.oneof(line, fc.string({ maxLength: 30 })), { maxLength: 10 }), (lines) => {
    try {
      parseText(lines.join('\n'));
    } catch (e) {
      if (!allowed(e)) throw e;
    }
  }), { numRuns: 2000 });
});
