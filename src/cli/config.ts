/** `retouch config check FILE`: reads a configuration file as `serve` would, without starting anything. */
import type { Command } from 'commander';
import { ConfigError, resolveConfig } from '../config.js';
import { BUILTIN, engineChain } from '../engine/router.js';
import { MODELS } from '../models/catalogue.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('Work with the configuration file (--config / RETOUCH_CONFIG)');
  config
    .command('check')
    .description('Check a configuration file: every key, type, engine and model route; exit 2 when something is wrong')
    .argument('<file>', 'a YAML or JSON file')
    .action((file: string) => {
      // The environment counts as it would at start (a setting given there wins over the file).
      let resolved;
      try {
        resolved = resolveConfig({ config: file });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exit(2);
      }
      const lines = [`${file} is valid.`];
      const engines = Object.entries(resolved.engines);
      lines.push(`Engines: ${[`${BUILTIN} (builtin)`, ...engines.filter(([n]) => n !== BUILTIN).map(([n, e]) => `${n} (${e.type})`)].join(', ')}`);
      for (const id of MODELS.keys()) lines.push(`${id}: ${engineChain(resolved.routes, id).join(' → ')}`);
      const limits = Object.entries(resolved.limits).filter(([, v]) => v !== undefined);
      if (limits.length) lines.push(`Default limits per account: ${limits.map(([k, v]) => `${k} ${v}`).join(', ')}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
