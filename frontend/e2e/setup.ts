// Runs around every e2e test: the UI must work under atrium web's Content-Security-Policy, so a violation Chromium
// reports fails the test that caused it.
import { afterEach, expect } from 'vitest';
import { cspViolations } from './harness';

afterEach(() => {
  expect(cspViolations.splice(0), 'Content-Security-Policy violations').toEqual([]);
});
