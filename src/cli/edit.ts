/**
 * `retouch edit -i photo.jpg -p "…"`: uploads the local images (URLs go as they are), submits a
 * bytedance/dreamina-4-0/edit request, follows it with a progress line, downloads the outputs and
 * prints their paths. Built on @retouch/client, so it talks to any retouch server, or the hosted one.
 */
import fs from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { NotFoundError, type Dreamina40EditInput, type RetouchClient } from '@retouch/client';
import { SIZE_KEY, SIZES, type SizeChoice } from '../models/dreamina-4-0-edit.js';
import { action, clientFrom, EXIT, remoteCommand, UsageError } from './remote.js';
import { conclude, followRequest, registerRequestCommands } from './requests.js';

const MODEL_ID = 'bytedance/dreamina-4-0/edit';

/** `2560x1440` (or the seed's own `2560x1440(16:9)`) → the seed's enum value. */
export function sizeChoice(arg: string): SizeChoice {
  const want = arg.trim().toLowerCase().replace('×', 'x');
  const found = SIZES.find((s) => s === want || s.startsWith(`${want}(`));
  if (!found) throw new UsageError(`--size must be one of ${SIZES.map((s) => s.slice(0, s.indexOf('('))).join(', ')} (got "${arg}")`);
  return found;
}

const isUrl = (s: string) => /^(https?:|data:)/i.test(s);

interface EditOptions {
  image: string[];
  prompt: string;
  size?: string;
  scale?: string;
  single?: boolean;
  output: string;
  json?: boolean;
  wait: boolean;
  poll?: boolean;
  url?: string;
  key?: string;
}

/** Checks the local files before anything is sent, so a typo costs no upload. */
async function checkFiles(images: string[]): Promise<void> {
  for (const image of images) {
    if (isUrl(image)) continue;
    const stat = await fs.stat(image).catch(() => undefined);
    if (!stat?.isFile()) throw new UsageError(`-i ${image}: no such file (give a file path or an http(s) URL)`);
  }
}

/**
 * Local files go up through `POST /v1/files`. A server without that route (the hosted service has
 * none: 404) gets them inline as data: URIs instead, which both accept in `image_urls`.
 */
async function uploadAll(client: RetouchClient, images: string[], say: (text: string) => void): Promise<string[]> {
  const urls: string[] = [];
  let inline = false;
  for (const image of images) {
    if (isUrl(image)) {
      urls.push(image);
      continue;
    }
    try {
      if (!inline) {
        say(`uploading ${image}`);
        try {
          urls.push((await client.upload(image)).url);
          continue;
        } catch (err) {
          if (!(err instanceof NotFoundError) || err.errorCode === 404003) throw err;
          inline = true;
          say('this server takes no uploads: sending the images inline as data: URIs');
        }
      }
      urls.push(await dataUri(image));
    } catch (err) {
      if (err instanceof Error) err.message = `${image}: ${err.message}`;
      throw err;
    }
  }
  return urls;
}

async function dataUri(file: string): Promise<string> {
  const data = await fs.readFile(file);
  // The type is only a label: servers sniff the bytes.
  const type = data[0] === 0x89 ? 'image/png' : 'image/jpeg';
  return `data:${type};base64,${data.toString('base64')}`;
}

async function edit(opts: EditOptions, command: Command): Promise<number> {
  const input: Dreamina40EditInput = { image_urls: [], prompt: opts.prompt };
  if (opts.size !== undefined) input[SIZE_KEY] = sizeChoice(opts.size);
  if (opts.scale !== undefined) {
    const scale = Number(opts.scale);
    if (opts.scale.trim() === '' || !Number.isFinite(scale)) throw new UsageError(`--scale must be a number from 0 to 1 (got "${opts.scale}")`);
    input.scale = scale;
  }
  if (opts.single) input.force_single = true;
  await checkFiles(opts.image);

  const client = clientFrom(opts);
  const quiet = Boolean(opts.json) || !opts.wait;
  input.image_urls = await uploadAll(client, opts.image, (text) => {
    if (!quiet) process.stderr.write(`${text}\n`);
  });
  const submitted = await client.submit(MODEL_ID, input);
  if (!opts.wait) {
    process.stdout.write(`${submitted.request_id}\n`);
    return EXIT.completed;
  }
  if (!quiet) process.stderr.write(`request ${submitted.request_id}\n`);
  const followed = await followRequest(client, submitted.request_id, { quiet, poll: opts.poll });
  if ('interrupted' in followed) return EXIT.interrupted;
  // With --json, files are downloaded only when -o says where.
  const download = !opts.json || command.getOptionValueSource('output') === 'cli';
  return conclude(followed.result, { json: opts.json, outDir: download ? opts.output : undefined });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `edit`, then `status`, `result`, `cancel` and `watch`: the commands that talk to a server. */
export function registerEdit(program: Command): void {
  remoteCommand(
    program
      .command('edit')
      .description('Edit images with bytedance/dreamina-4-0/edit: upload, follow, download the outputs')
      .requiredOption('-i, --image <file|url>', 'an input image: a local JPEG/PNG (uploaded) or an http(s) URL; repeat for several (1 to 10)', collect)
      .requiredOption('-p, --prompt <text>', 'what to do (at most 800 characters)')
      .option('--size <WxH>', `output size, one of ${SIZES.map((s) => s.slice(0, s.indexOf('('))).join(', ')} (default: 2048x2048)`)
      .option('--scale <0..1>', 'how strongly the prompt counts against the images (default: 0.5)')
      .option('--single', 'force a single output image')
      .option('-o, --output <dir>', 'where to write the outputs', '.')
      .option('--json', 'print only the result body (outputs are downloaded only with an explicit -o, listed in "files")')
      .option('--no-wait', 'print only the request id, and do not follow it')
      .addOption(new Option('--poll', 'poll the status instead of following the event stream'))
      .addHelpText(
        'after',
        `
Progress goes to stderr: one line redrawn in place on a terminal, plain lines otherwise. The paths of
the downloaded outputs go to stdout. Ctrl-C while the request is queued cancels it.

Example:
  retouch edit -i photo.jpg -i https://example.com/b.jpg -p "make it warmer" --size 2560x1440 -o edited/`,
      ),
  ).action(action(edit));
  registerRequestCommands(program);
}
