import { describe, expect, it } from 'vitest';
import { catalogHash, flagHash, flagsHash, matrixHash, packageHash, packagesHash, rememberFilters, serviceHash, withLastFilters } from './router';

describe('hash builders', () => {
  it('catalogHash leaves out empty filters', () => {
    expect(catalogHash({})).toBe('#/');
    expect(catalogHash({ q: '  ', owner: '' })).toBe('#/');
    expect(catalogHash({ q: 'pay', owner: 'payments' })).toBe('#/?q=pay&owner=payments');
    expect(catalogHash({ sort: 'owner' })).toBe('#/?sort=owner&order=asc');
  });
  it('flag and package hashes encode keys and names into one segment', () => {
    expect(flagHash('dev', 'a/b')).toBe('#/flags/dev/a%2Fb');
    expect(flagsHash({ environment: 'dev', q: ' ' })).toBe('#/flags?environment=dev');
    expect(packageHash('npm', '@types/node')).toBe('#/packages/npm/%40types%2Fnode');
    expect(packageHash('npm', 'react', 'payments')).toBe('#/packages/npm/react?owner=payments');
    expect(packagesHash({ ecosystem: 'npm', outdated: true, owner: 'payments' })).toBe('#/packages?ecosystem=npm&owner=payments&outdated=1');
  });
  it('matrixHash leaves out empty filters, in a stable order', () => {
    expect(matrixHash({})).toBe('#/matrix');
    expect(matrixHash({ region: 'us-east-1', team: 'payments', environment: ' ' })).toBe('#/matrix?team=payments&region=us-east-1');
  });
  it('serviceHash encodes the name', () => {
    expect(serviceHash('a/b')).toBe('#/services/a%2Fb');
  });
});

describe('remembered filters', () => {
  it('returns a page with the filters it was last shown with, by its path', () => {
    expect(withLastFilters('#/packages')).toBe('#/packages');
    rememberFilters('#/packages?ecosystem=npm');
    rememberFilters('#/flags?team=payments');
    expect(withLastFilters('#/packages')).toBe('#/packages?ecosystem=npm');
    expect(withLastFilters('#/flags')).toBe('#/flags?team=payments');
    rememberFilters('#/packages');
    expect(withLastFilters('#/packages')).toBe('#/packages');
  });
});
