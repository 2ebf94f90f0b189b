#!/usr/bin/env node
// The whole test suite, as CI runs it (`npm test`): build, then every test file with vitest.
// Anything the suites need from the machine is installed or started here and stopped afterwards.
import { spawnSync } from 'node:child_process';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run('npm', ['run', '--silent', 'build']);
run('npx', ['vitest', 'run', ...process.argv.slice(2)]);
