/** The local storage's existence check: a stat, false only when the file is not there. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalStorage } from '../../src/storage/local/storage.js';
import { SignedUrls } from '../../src/storage/signed-urls.js';
import { UrlSigner } from '../../src/storage/signer.js';
import { photo, tempDir } from '../helpers/paths.js';

const urls = new SignedUrls(new UrlSigner(Buffer.alloc(32, 7)), () => 'http://127.0.0.1:1');

describe('local storage', () => {
  it('tells whether a file exists, and throws when the data dir cannot tell', async () => {
    const dataDir = tempDir();
    const s = new LocalStorage(dataDir, urls);
    await s.put('uploads/acct_a/file1.png', photo('horse.png'));
    expect(await s.exists('uploads/acct_a/file1.png')).toBe(true);
    expect(await s.exists('uploads/acct_a/file1.jpg')).toBe(false);
    expect(await s.exists('uploads/acct_b/file1.png')).toBe(false);
    expect(await s.exists('uploads/acct_a/../../x.png')).toBe(false);
    // A broken data dir (a file where the account's folder should be) is an error, not "no such file".
    fs.writeFileSync(path.join(dataDir, 'files', 'uploads', 'acct_c'), 'not a folder');
    await expect(s.exists('uploads/acct_c/file1.png')).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
