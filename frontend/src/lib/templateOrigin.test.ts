import { describe, expect, it } from 'vitest';
import { shortSHA, templateOrigin } from './templateOrigin';

const sha = '3f9c2e1a7b04d5e6f708192a3b4c5d6e7f809112';

describe('templateOrigin', () => {
  it('says built in, or the templates repository at its commit and the template directory', () => {
    expect(templateOrigin({ source: 'builtin', source_version: '', path: 'go-http-service' })).toBe('built in');
    expect(templateOrigin({ source: 'github:sphera/templates', source_version: sha, path: 'templates/java-service' })).toBe(
      'sphera/templates@3f9c2e1:templates/java-service',
    );
    expect(templateOrigin({ source: 'github:sphera/one-template', source_version: sha, path: '.' })).toBe('sphera/one-template@3f9c2e1:/');
    expect(templateOrigin({ source: 'testdata', source_version: '', path: 'x' })).toBe('testdata');
  });
  it('abbreviates commits only', () => {
    expect(shortSHA(sha)).toBe('3f9c2e1');
    expect(shortSHA('v1')).toBe('v1');
  });
});
