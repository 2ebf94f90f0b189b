/**
 * The shape of the configuration file. Every setting of config.ts may appear at the top level under
 * its snake_case name (`max_queue: 500`); beside them, the engines, which engines serve each model,
 * and the default per-account limits.
 */
import { Type, type TObject, type TProperties } from 'typebox';

/** A setting's value as a file holds it; it is parsed by the same rule as its flag. */
const SettingValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Array(Type.String())], {
  description: 'a text, a number, true or false, or a list of texts',
});

export const ENGINE_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]{0,31}$';

export const ModelRoute = Type.Object(
  {
    engines: Type.Array(Type.String({ pattern: ENGINE_NAME_PATTERN, description: 'an engine name' }), {
      minItems: 1,
      description: 'a list of engine names, tried in order',
    }),
  },
  { additionalProperties: false },
);

const Limit = (what: string) => Type.Optional(Type.Integer({ minimum: 1, description: `a whole number of ${what}, at least 1` }));

export const Limits = Type.Object(
  {
    rpm: Limit('submits per minute'),
    concurrent: Limit('requests queued or running at once'),
    daily_images: Limit('output images per UTC day'),
  },
  { additionalProperties: false },
);

/** The top level; each engine's own options are checked against its type's schema afterwards. */
export function fileSchema(settingKeys: string[]): TObject {
  const settings: TProperties = {};
  for (const key of settingKeys) settings[key] = Type.Optional(SettingValue);
  return Type.Object(
    {
      ...settings,
      engines: Type.Optional(
        Type.Record(Type.String({ pattern: ENGINE_NAME_PATTERN }), Type.Object({ type: Type.String({ description: 'an engine type' }) }), {
          description: 'a map of engine names to their options',
        }),
      ),
      models: Type.Optional(Type.Record(Type.String(), ModelRoute, { description: 'a map of model ids to their engines' })),
      limits: Type.Optional(Limits),
    },
    { additionalProperties: false },
  );
}
