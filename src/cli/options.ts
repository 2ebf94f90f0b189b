/** Turns the settings table of config.ts into commander options, and back into a Config. */
import { Option, type Command } from 'commander';
import { ConfigError, resolveConfig, settingsFor, SETTINGS, type Config, type Role, type SettingName } from '../config.js';

export function addSettings(command: Command, roles: Role[]): Command {
  const seen = new Set<SettingName>();
  for (const role of roles) {
    for (const [name, s] of settingsFor(role)) {
      if (seen.has(name)) continue;
      seen.add(name);
      const shownDefault = s.default !== undefined && s.flag.includes('<') ? ` (default: ${s.default})` : '';
      command.addOption(new Option(s.flag, `${s.help} [env: ${s.env}]${shownDefault}`));
    }
  }
  return command;
}

/** Reads the flags that were given (commander's camelCase keys match the setting names). */
export function configFrom(command: Command): Config {
  const opts = command.opts<Record<string, unknown>>();
  const explicit: Partial<Record<SettingName, string>> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const value = opts[name];
    if (value !== undefined) explicit[name] = String(value);
  }
  try {
    return resolveConfig(explicit);
  } catch (err) {
    if (err instanceof ConfigError) command.error(`retouch: ${err.message}`, { exitCode: 2 });
    throw err;
  }
}
