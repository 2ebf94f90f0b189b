/**
 * `retouch serve` (API and worker in one process, the default), `retouch api` and `retouch worker`
 * (the same code, one role each, for scaling out). SIGTERM and SIGINT stop taking requests, let
 * running ones finish within the grace period, return the rest to the queue, and exit 0.
 */
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { createLogger, exitAfterLastLine } from '../log.js';
import type { Roles, Runtime } from '../runtime.js';
import { addSettings, configFrom } from './options.js';

export function registerServe(program: Command): void {
  addSettings(
    program.command('serve').description('Run the API and a worker in one process (SQLite, local disk, built-in engine)'),
    ['api', 'worker'],
  ).action(async (_opts, command: Command) => run(configFrom(command), { api: true, worker: true }));

  addSettings(program.command('api').description('Run the API only; workers run elsewhere on the same data dir'), ['api'])
    .action(async (_opts, command: Command) => run(configFrom(command), { api: true, worker: false }));

  addSettings(program.command('worker').description('Run a worker only: it takes requests from the queue'), ['worker'])
    .action(async (_opts, command: Command) => run(configFrom(command), { api: false, worker: true }));
}

async function run(config: Config, roles: Roles): Promise<void> {
  const log = createLogger(config.logLevel);
  // Loaded here, not at the top: the client commands (status, edit, …) should not pay for the server.
  const { createRuntime, startBackground } = await import('../runtime.js');
  const runtime = await createRuntime(config, roles, log);
  if (runtime.app) {
    const address = await runtime.app.listen({ host: config.host, port: config.port });
    // With --port 0 the real port is known only now; the URLs we hand out must carry it.
    if (!process.env.RETOUCH_PUBLIC_URL && config.port === 0 && !explicitPublicUrl(process.argv)) {
      const port = (runtime.app.server.address() as { port: number }).port;
      config.publicUrl = config.publicUrl.replace(/:0$/, `:${port}`);
    }
    log.info({ address, public_url: config.publicUrl }, 'listening');
    await announceFirstKey(runtime);
  }
  startBackground(runtime);
  handleSignals(runtime, log);
}

function explicitPublicUrl(argv: string[]): boolean {
  return argv.some((a) => a === '--public-url' || a.startsWith('--public-url='));
}

/** A fresh install has no key: make one and show it once, with a request ready to paste. */
async function announceFirstKey(runtime: Runtime): Promise<void> {
  if (runtime.config.apiKey || (await runtime.keys.activeCount()) > 0) return;
  if (runtime.config.databaseUrl) {
    // A shared database: several nodes start at once, and their output goes to log collectors.
    // The operator makes keys with the CLI instead.
    runtime.log.info('no API key yet: create one with `retouch keys create` (same RETOUCH_DATABASE_URL)');
    return;
  }
  const { key, token } = await runtime.keys.create({ name: 'first key' });
  const url = runtime.config.publicUrl;
  // On stderr, never in the JSON log: the key must not end up in log storage.
  process.stderr.write(
    [
      '',
      `retouch had no API key, so it created one (${key.id}). It is shown only this once:`,
      '',
      `    ${token}`,
      '',
      `Open the playground at ${url}/ and paste the key there, or try it with curl:`,
      `    curl -H "Authorization: Bearer ${token}" ${url}/v1/requests`,
      '',
      `Manage keys with: retouch keys list | create | revoke (same --data-dir). API reference: ${url}/docs`,
      '',
    ].join('\n'),
  );
}

function handleSignals(runtime: Runtime, log: ReturnType<typeof createLogger>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return exitAfterLastLine(log, 1, { level: 'warn', msg: 'second signal: exiting now', fields: { signal } }, 500);
    stopping = true;
    log.info({ signal, grace_ms: runtime.config.shutdownGrace }, 'shutting down');
    runtime.close().then(
      () => exitAfterLastLine(log, 0, { level: 'info', msg: 'stopped' }),
      (err) => exitAfterLastLine(log, 1, { level: 'error', msg: 'shutdown failed', fields: { err } }),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
