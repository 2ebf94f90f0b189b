/** The README is a promise: its two commands and its configuration table must stay true. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script, checked by running it.
import { readmeWithTable } from '../scripts/config-table.mjs';
import { ROOT } from './helpers/paths.js';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('has a quick start of exactly two commands, and CI runs the test one', () => {
    const quick = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    const commands = quick.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
    expect(commands).toEqual(['npm install && npm start', 'npm install && npm test']);
    const ci = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
    expect(ci).toContain('\nnpm install && npm test\n');
  });

  it('lists every setting in its configuration table (npm run docs:config regenerates it)', () => {
    expect(readmeWithTable(readme)).toBe(readme);
  });
});
