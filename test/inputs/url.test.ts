/**
 * URL checks before anything is resolved or dialled, the host allow-list, and redaction.
 */
import { describe, expect, it } from 'vitest';
import { ImageInputError } from '../../src/inputs/errors.js';
import { defaultInputPolicy } from '../../src/inputs/policy.js';
import { checkUrl, hostAllowed, redactUrl } from '../../src/inputs/url.js';

const policy = defaultInputPolicy();

function refusal(raw: string, p = policy): ImageInputError {
  try {
    checkUrl(raw, 3, p);
  } catch (err) {
    if (err instanceof ImageInputError) return err;
    throw err;
  }
  throw new Error(`accepted ${raw}`);
}

describe('checkUrl', () => {
  it('accepts http and https URLs with public hosts, and drops the fragment', () => {
    const { url, host, literal } = checkUrl('HTTPS://Example.COM:8443/a/b.jpg?x=1#frag', 0, policy);
    expect(url.href).toBe('https://example.com:8443/a/b.jpg?x=1');
    expect(host).toBe('example.com');
    expect(literal).toBe(false);
    expect(checkUrl('http://8.8.8.8/x.png', 0, policy).literal).toBe(true);
    expect(checkUrl('http://[2606:4700:4700::1111]/x.png', 0, policy).host).toBe('2606:4700:4700::1111');
  });

  it('names the index in the message and in detail.loc', () => {
    const err = refusal('ftp://example.com/a.jpg');
    expect(err.message).toBe('image_urls[3]: Only http and https image URLs are supported. (found ftp:)');
    expect(err.detail).toEqual([{ loc: ['body', 'image_urls', 3], msg: 'Only http and https image URLs are supported. (found ftp:)' }]);
  });

  it.each([
    ['file:///etc/passwd', 'bad_scheme'],
    ['data:text/html,hi', 'bad_scheme'],
    ['ws://example.com/', 'bad_scheme'],
    ['dict://127.0.0.1:11211/stats', 'bad_scheme'],
    ['ldap://example.com/', 'bad_scheme'],
    ['//example.com/a.jpg', 'bad_url'],
    ['/relative/a.jpg', 'bad_url'],
    ['http://', 'bad_url'],
    ['http://exa mple.com/', 'bad_url'],
    ['http://1.2.3.4.5/', 'bad_url'],
    ['http://user@example.com/', 'credentials_in_url'],
    ['http://:pw@example.com/', 'credentials_in_url'],
    ['http://127.0.0.1./', 'private_address'],
    ['http://0x7f000001/', 'private_address'],
    ['http://017700000001/', 'private_address'],
    ['http://%31%32%37.0.0.1/', 'private_address'],
    ['http://\uff10x7f.1/', 'private_address'],
    ['http://[::ffff:127.0.0.1]/', 'private_address'],
    ['http://metadata.google.internal./', 'private_address'],
  ])('refuses %s as %s', (raw, reason) => {
    expect(refusal(raw).reason).toBe(reason);
  });

  it('lets allowPrivateUrls through private literals, but never metadata', () => {
    const open = { ...policy, allowPrivateUrls: true };
    expect(checkUrl('http://10.0.0.1/a.jpg', 0, open).host).toBe('10.0.0.1');
    expect(checkUrl('http://[::1]:8080/a.jpg', 0, open).host).toBe('::1');
    expect(refusal('http://169.254.169.254/', open).reason).toBe('private_address');
    expect(refusal('http://metadata.google.internal/', open).reason).toBe('private_address');
    // And it lifts nothing else.
    expect(refusal('file:///etc/passwd', open).reason).toBe('bad_scheme');
    expect(refusal('http://a:b@10.0.0.1/', open).reason).toBe('credentials_in_url');
  });

  it('applies the allow-list before anything else about the host', () => {
    const p = { ...policy, allowedHosts: ['cdn.example.com', '*.images.example.org'] };
    expect(checkUrl('https://cdn.example.com/a.jpg', 0, p).host).toBe('cdn.example.com');
    expect(checkUrl('https://a.b.images.example.org/a.jpg', 0, p).host).toBe('a.b.images.example.org');
    expect(refusal('https://images.example.org/a.jpg', p).reason).toBe('host_not_allowed');
    expect(refusal('https://evil.com/cdn.example.com', p).reason).toBe('host_not_allowed');
    expect(refusal('https://cdn.example.com.evil.com/', p).reason).toBe('host_not_allowed');
    expect(refusal('https://xcdn.example.com/', p).reason).toBe('host_not_allowed');
  });

  it('refuses URLs over 4096 characters, saying how long', () => {
    const err = refusal(`https://example.com/${'x'.repeat(4100)}`);
    expect(err.reason).toBe('url_too_long');
    expect(err.message).toContain('(found 4120 characters)');
  });
});

describe('hostAllowed', () => {
  it('matches exact names and *.domain patterns, ignoring case and a final dot', () => {
    expect(hostAllowed('Example.com.', ['example.com'])).toBe(true);
    expect(hostAllowed('a.example.com', ['*.example.com'])).toBe(true);
    expect(hostAllowed('example.com', ['*.example.com'])).toBe(false);
    expect(hostAllowed('badexample.com', ['*.example.com'])).toBe(false);
    expect(hostAllowed('::1', ['[::1]'])).toBe(true);
  });
});

describe('redactUrl', () => {
  it('strips user info and truncates', () => {
    expect(redactUrl('https://bob:secret@example.com/a.jpg')).toBe('https://example.com/a.jpg');
    expect(redactUrl('https://bucket.s3.amazonaws.com/a.jpg?X-Amz-Signature=abc#x')).toBe('https://bucket.s3.amazonaws.com/a.jpg?…');
    const long = redactUrl(`https://example.com/${'x'.repeat(300)}`);
    expect(long.length).toBeLessThanOrEqual(101);
    expect(redactUrl('not a url //bob:pw@host/x')).not.toContain('pw');
  });
  it('never repeats a data URI payload', () => {
    const r = redactUrl(`data:image/png;base64,${'QUJD'.repeat(1000)}`);
    expect(r).toBe('data:image/png;base64,… (4022 characters)');
  });
});
