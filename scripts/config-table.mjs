#!/usr/bin/env node
// Writes the configuration table of README.md from the settings of src/config.ts (after a build):
// `npm run docs:config`. A test fails when the README's table is out of date.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '../dist/config.js';

export function configTable() {
  const rows = Object.values(SETTINGS).map((s) => `| \`${s.flag.split(' ')[0]}\` | \`${s.env}\` | ${s.default === undefined ? '' : `\`${s.default}\``} | ${s.help.replace(/\|/g, '\\|')} |`);
  return ['| flag | environment | default | what it does |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../README.md');
const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

export function readmeWithTable(text) {
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  return `${text.slice(0, a + START.length)}\n${configTable()}\n${text.slice(b)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  fs.writeFileSync(README, readmeWithTable(fs.readFileSync(README, 'utf8')));
  console.log('README.md configuration table updated');
}
