/**
 * Builds the engines the configuration defines and the router over them. `builtin` is always there;
 * an engine the file defines but no model uses is still built (it shows in /readyz), so that an
 * operator sees a broken one before routing traffic to it.
 */
import type { EngineConfig } from '../config-file/load.js';
import type { Config } from '../config.js';
import { ENGINE_TYPES, type EngineBuildDeps } from './registry.js';
import { BUILTIN, EngineRouter, type RoutedEngine, type RouterObserver } from './router.js';
import type { Engine } from './types.js';

/** After a failure an engine is skipped this long, unless its `cooldown` says otherwise. */
export const DEFAULT_COOLDOWN_MS = 15_000;

export async function createEngines(
  config: Pick<Config, 'engines' | 'routes' | 'concurrency'>,
  deps: EngineBuildDeps,
  /** Tests put engines of their own in place of configured ones (by name; `builtin` included). */
  replace: Readonly<Record<string, Engine>> = {},
  observer?: RouterObserver,
): Promise<EngineRouter> {
  const engines = new Map<string, RoutedEngine>();
  const defined: Record<string, EngineConfig> = { [BUILTIN]: { type: BUILTIN, options: {} }, ...config.engines };
  for (const [name, c] of Object.entries(defined)) {
    const def = ENGINE_TYPES[c.type];
    const engine = replace[name] ?? (await def!.create(name, c.options, { ...deps, log: deps.log.child({ engine: name }) }));
    engines.set(name, {
      engine,
      type: c.type,
      maxConcurrency: c.maxConcurrency ?? def?.defaultMaxConcurrency ?? config.concurrency,
      timeoutMs: timeoutOf(c),
      cooldownMs: c.cooldownMs ?? (name === BUILTIN ? 0 : DEFAULT_COOLDOWN_MS),
    });
  }
  return new EngineRouter(engines, config.routes, { observer });
}

/** A request's deadline on an engine: its `timeout`, or its type's default (`0` turns it off). */
export function timeoutOf(c: Pick<EngineConfig, 'type' | 'timeoutMs'>): number | undefined {
  return c.timeoutMs ?? ENGINE_TYPES[c.type]?.defaultTimeoutMs;
}
