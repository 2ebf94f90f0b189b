#!/usr/bin/env node
// The whole test suite, as CI runs it (`npm test`): build, then every test file with vitest.
// Anything the suites need from the machine is installed or started here and stopped afterwards.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { aptInstall, canAptInstall, ensurePostgres, startPostgres, startS3 } from './test-services.mjs';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/**
 * The playground's browser tests drive Debian's Chromium through playwright-core (never a browser
 * that playwright downloads). Installed here when missing, as root, without questions; the tests
 * find it through CHROMIUM_PATH. DEVELOPERS.md has the launch flags.
 */
function ensureChromium() {
  const wanted = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (fs.existsSync(wanted)) return wanted;
  if (!canAptInstall()) {
    console.warn(`Chromium is not at ${wanted}, and it can only be installed here as root on Debian: the browser tests will fail.`);
    console.warn('Install it (apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary.');
    return wanted;
  }
  console.log('Installing Debian\'s chromium for the playground\'s browser tests…');
  if (!aptInstall('chromium')) console.warn('apt-get could not install chromium: the browser tests will fail.');
  return fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : wanted;
}

run('npm', ['run', '--silent', 'build']);
process.env.CHROMIUM_PATH = ensureChromium();

/**
 * One throwaway PostgreSQL and one S3 server (s3rver, in this process) for the whole run; each test
 * makes its own database and bucket on them (test/helpers/services.ts). Both are stopped at the end,
 * whatever happens; vitest runs as a child so that s3rver keeps serving meanwhile.
 */
ensurePostgres();
const postgres = await startPostgres();
const s3 = await startS3();
let code = 1;
const stop = async () => {
  await postgres.stop();
  await s3.stop();
};
// Ctrl-C reaches vitest too; wait for it to end, then stop the servers.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => undefined);
try {
  const vitest = spawn('npx', ['vitest', 'run', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, RETOUCH_TEST_DATABASE_URL: postgres.url, RETOUCH_TEST_S3_ENDPOINT: s3.endpoint },
  });
  code = await new Promise((resolve) => vitest.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
} finally {
  await stop();
}
process.exit(code);
