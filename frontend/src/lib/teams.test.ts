import { describe, expect, it } from 'vitest';
import { teamLabel } from './teams';

describe('teamLabel', () => {
  it('leads with the name everything else uses, and adds the display name only when it says more', () => {
    expect(teamLabel({ name: 'platform', display_name: 'Developer Platform' })).toBe('platform (Developer Platform)');
    expect(teamLabel({ name: 'payments', display_name: 'Payments' })).toBe('payments');
    expect(teamLabel({ name: 'payments', display_name: '' })).toBe('payments');
    expect(teamLabel({ name: 'mobile-backend', display_name: ' Mobile Backend ' })).toBe('mobile-backend (Mobile Backend)');
  });
});
