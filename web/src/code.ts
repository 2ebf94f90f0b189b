/** The API tab: the same call as the form, as curl and as TypeScript with the SDK. */

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A JS object literal, keys unquoted where they can be, two-space indented. */
function literal(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = indent + '  ';
    return `[\n${value.map((v) => inner + literal(v, inner)).join(',\n')},\n${indent}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const inner = indent + '  ';
    const lines = entries.map(([k, v]) => `${inner}${IDENTIFIER.test(k) ? k : `'${k.replace(/'/g, "\\'")}'`}: ${literal(v, inner)}`);
    return `{\n${lines.join(',\n')},\n${indent}}`;
  }
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  return JSON.stringify(value);
}

export interface CodeContext {
  baseUrl: string;
  modelId: string;
  input: Record<string, unknown>;
  maskedKey: string;
}

export function curlCode({ baseUrl, modelId, input, maskedKey }: CodeContext): string {
  const body = JSON.stringify(input, null, 2);
  return [
    `export RETOUCH_API_KEY=${maskedKey}   # your key (masked here)`,
    '',
    `curl -s ${baseUrl}/v1/models/${modelId} \\`,
    `  -H "Authorization: Bearer $RETOUCH_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  --data ${shellQuote(body)}`,
    '',
    '# then, with the request_id it answers:',
    `curl -s ${baseUrl}/v1/requests/$REQUEST_ID/status -H "Authorization: Bearer $RETOUCH_API_KEY"`,
    `curl -s ${baseUrl}/v1/requests/$REQUEST_ID/result -H "Authorization: Bearer $RETOUCH_API_KEY"`,
  ].join('\n');
}

export function sdkCode({ baseUrl, modelId, input, maskedKey }: CodeContext): string {
  return [
    `import { RetouchClient } from '@retouch/client';`,
    '',
    `// RETOUCH_API_KEY=${maskedKey} (your key, masked here)`,
    `const client = new RetouchClient({ baseUrl: '${baseUrl}', apiKey: process.env.RETOUCH_API_KEY });`,
    `const result = await client.run('${modelId}', ${literal(input)});`,
    'console.log(result.output.images);',
  ].join('\n');
}
