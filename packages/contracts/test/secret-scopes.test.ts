import { describe, expect, it } from 'vitest';
import { parseSecretScope, secretScopesFromEnv, secretUseDenied, urlUnderPrefix } from '../src/secret-scopes.js';

describe('secret scopes', () => {
  const scopes = secretScopesFromEnv({
    BATON_SECRET_GIT_TOKEN_SCOPE: 'urls=https://github.com/acme/;role=operator;keys=abc123abc123',
    BATON_SECRET_DB_SCOPE: 'apps=payments;role=submitter',
    BATON_SECRET_GIT_TOKEN: 'not a scope',
  });

  it('matches URL prefixes by scheme, host, port and whole path segments', () => {
    const p = new URL('https://github.com/acme/');
    expect(urlUnderPrefix('https://github.com/acme/app.git', p)).toBe(true);
    expect(urlUnderPrefix('https://GitHub.com/acme/sub/app.git', p)).toBe(true);
    for (const bad of [
      'https://github.com/acme-evil/app.git',
      'http://github.com/acme/app.git',
      'https://github.com:8443/acme/app.git',
      'https://github.com.attacker.example/acme/app.git',
      'https://github.com@attacker.example/acme/app.git',
      'https://github.com/acme/../evil/app.git',
      'https://github.com/acme/%2e%2e/evil/app.git',
      'https://github.com/acme%2fevil/app.git',
      'git@github.com:acme/app.git',
      '/srv/git/acme/app.git',
    ]) expect(urlUnderPrefix(bad, p), bad).toBe(false);
  });

  it('says who may use a secret and where it may go, naming the secret', () => {
    expect(secretUseDenied(scopes, 'BATON_SECRET_GIT_TOKEN', { kind: 'git', url: 'https://github.com/acme/x.git' }, { keyId: 'k1', role: 'admin' })).toBeNull();
    expect(secretUseDenied(scopes, 'BATON_SECRET_GIT_TOKEN', { kind: 'git', url: 'https://github.com/acme/x.git' }, { keyId: 'abc123abc123', role: 'viewer' })).toBeNull();
    expect(secretUseDenied(scopes, 'BATON_SECRET_GIT_TOKEN', { kind: 'git', url: 'https://github.com/acme/x.git' }, { keyId: 'k2', role: 'submitter' })).toMatch(/BATON_SECRET_GIT_TOKEN may not be used by key k2/);
    expect(secretUseDenied(scopes, 'BATON_SECRET_GIT_TOKEN', { kind: 'git', url: 'https://evil.example/x.git' })).toMatch(/may not be sent to https:\/\/evil.example\/x.git/);
    expect(secretUseDenied(scopes, 'BATON_SECRET_GIT_TOKEN', { kind: 'env', app: 'payments' })).toMatch(/may not be given to app "payments"/);
    expect(secretUseDenied(scopes, 'BATON_SECRET_DB', { kind: 'env', app: 'payments' }, { keyId: null, role: 'submitter' })).toBeNull();
    expect(secretUseDenied(scopes, 'BATON_SECRET_DB', { kind: 'git', url: 'https://github.com/acme/x.git' })).toMatch(/may not be sent/);
    expect(secretUseDenied(scopes, 'BATON_SECRET_OTHER', { kind: 'git', url: null })).toMatch(/BATON_SECRET_OTHER has no scope/);
    expect(secretUseDenied(scopes, 'BATON_SECRET_DB', { kind: 'env', app: null }, null)).toMatch(/may not be used by this caller/);
  });

  it('refuses malformed scopes with the reason', () => {
    expect(() => parseSecretScope('BATON_SECRET_X', 'role=admin')).toThrow(/say where it may go/);
    expect(() => parseSecretScope('BATON_SECRET_X', 'urls=https://a.example/')).toThrow(/say who may use it/);
    expect(() => parseSecretScope('BATON_SECRET_X', 'urls=ftp://a.example/;role=admin')).toThrow(/http\(s\)/);
    expect(() => parseSecretScope('BATON_SECRET_X', 'urls=https://u:p@a.example/;role=admin')).toThrow(/credentials/);
    expect(() => parseSecretScope('BATON_SECRET_X', 'urls=https://a.example/;role=root')).toThrow(/role must be one of/);
    expect(() => parseSecretScope('BATON_SECRET_X', 'hosts=a;role=admin')).toThrow(/unknown field "hosts"/);
    expect(() => secretScopesFromEnv({ BATON_SECRET_A_SCOPE: 'role=admin', BATON_SECRET_B_SCOPE: 'apps=*' })).toThrow(/BATON_SECRET_A_SCOPE[\s\S]*BATON_SECRET_B_SCOPE/);
  });
});
