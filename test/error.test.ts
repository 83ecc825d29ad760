import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScanError } from '../src/error.js';

test('a ScanError message is one line: control characters in quoted input are escaped', () => {
  const e = new ScanError('ERR_USAGE', 'unknown option: -\n\r\t\x00\x1b[2J\x7f\x9b\u2028 end');
  assert.equal(e.message, 'unknown option: -\\n\\r\\t\\x00\\x1b[2J\\x7f\\x9b\\u2028 end');
  assert.equal(e.code, 'ERR_USAGE');
  // text already escaped by JSON.stringify is left as it is
  const q = new ScanError('ERR_BAD_OPTION', `--rate ${JSON.stringify('a\nb')}: bad`);
  assert.equal(q.message, '--rate "a\\nb": bad');
});
