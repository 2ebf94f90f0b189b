/**
 * The fake ComfyUI, started by hand: a stand-in for a GPU box when trying the ComfyUI engine
 * without one. It runs weightless graphs (workflows/weightless-blend.json) for real.
 *
 *   npx tsx test/fakes/comfyui/main.ts [--port 8188] [--slow 200] [--dir DIR]
 *
 * --slow makes every node take that many milliseconds, so that progress and cancelling can be seen.
 */
import { parseArgs } from 'node:util';
import { FakeComfyUI } from './server.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '8188' }, slow: { type: 'string', default: '0' }, dir: { type: 'string' } },
});
const fake = new FakeComfyUI({ port: Number(values.port), slow: { '*': Number(values.slow) }, ...(values.dir && { dir: values.dir }) });
await fake.start();
const at = () => new Date().toISOString();
fake.on('started', (id: string) => console.log(`${at()} running ${id}`));
fake.on('finished', (id: string, outcome: string) => console.log(`${at()} finished ${id}: ${outcome}`));
// The line a script waits for (the bench reads the URL from it).
console.log(JSON.stringify({ fake_comfyui: fake.url, files: fake.env.outputDir }));
const stop = () => void fake.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
