import { describe, expect, it } from 'vitest';
import { packageInstalled } from './package-installed.js';

describe('packageInstalled', () => {
  it('finds an installed package without loading it, and not a missing one', () => {
    expect(packageInstalled('@nestjs/graphql')).toBe(true);
    expect(packageInstalled('@nestjs/no-such-package-for-this-test')).toBe(false);
  });
});
