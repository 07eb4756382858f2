import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// jsdom does no layout, so every element measures 0×0 and a virtualised list would render no rows. Give
// elements the size of a laptop window's table body.
Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 600 });
Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1200 });

// The machine running the tests is shared: give findBy… and waitFor more than the default 1 s before failing.
configure({ asyncUtilTimeout: 4000 });

afterEach(() => {
  cleanup();
  window.location.hash = '';
});
