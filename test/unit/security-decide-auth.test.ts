import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAuth, isLoopbackHost } from '../../src/security/decide-auth.ts';

describe('isLoopbackHost', () => {
  it('knows the loopback addresses, however they are written', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      '127.255.255.254',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      'localhost',
      'LOCALHOST',
      'localhost.',
    ])
      assert.equal(isLoopbackHost(host), true, host);
  });

  it('counts every other address and every other name as reachable from outside', () => {
    for (const host of [
      '0.0.0.0',
      '::',
      '[::]',
      '',
      '10.0.0.5',
      '192.168.1.2',
      '128.0.0.1',
      '::ffff:10.0.0.1',
      'fe80::1',
      '::2',
      'example.com',
      'localhost.example.com',
      'my-laptop',
      '127.0.0.1.nip.io',
    ])
      assert.equal(isLoopbackHost(host), false, host);
  });
});

describe('decideAuth', () => {
  it('leaves auth off on loopback addresses unless --auth', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) {
      assert.deepEqual(decideAuth({ host }), {
        enabled: false,
        reason: `bound to the loopback address ${host}`,
      });
      assert.deepEqual(decideAuth({ host, auth: true }), { enabled: true, reason: '--auth' });
    }
  });

  it('turns auth on for every non-loopback address and host name', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'fe80::1', 'example.com', 'my-laptop']) {
      const d = decideAuth({ host });
      assert.equal(d.enabled, true, host);
      assert.equal(d.warning, undefined);
      assert.match(d.reason, /not a loopback address/);
    }
    assert.match(decideAuth({ host: '' }).reason, /every interface/);
  });

  it('turns it off on a non-loopback address only with --insecure-no-auth, and warns', () => {
    const d = decideAuth({ host: '0.0.0.0', insecureNoAuth: true });
    assert.equal(d.enabled, false);
    assert.match(d.warning ?? '', /authentication is OFF while listening on 0\.0\.0\.0/);
    assert.match(d.warning ?? '', /cairn token create --role admin/);
  });

  it('does not warn about --insecure-no-auth on a loopback address, where it changes nothing', () => {
    assert.deepEqual(decideAuth({ host: '127.0.0.1', insecureNoAuth: true }).warning, undefined);
    assert.equal(decideAuth({ host: '127.0.0.1', insecureNoAuth: true }).enabled, false);
  });

  it('refuses --auth together with --insecure-no-auth', () => {
    assert.throws(
      () => decideAuth({ host: '0.0.0.0', auth: true, insecureNoAuth: true }),
      (err: Error & { code?: string }) => err.code === 'INVALID_ARGUMENT' && /contradict/.test(err.message),
    );
  });
});
