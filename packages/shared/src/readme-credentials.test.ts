import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WELL_KNOWN_POLICIES } from './policies.js';

// Users copy the well-known keys and connection strings from the README: they must be the hub's.
const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('the README’s well-known credentials', () => {
  for (const policy of WELL_KNOWN_POLICIES) {
    it(`lists ${policy.name} with its permissions, both keys and its connection string`, () => {
      const row = README.split('\n').find((line) => line.startsWith(`| \`${policy.name}\` |`));
      expect(row).toBe(`| \`${policy.name}\` | ${policy.permissions.join(', ')} | \`${policy.primaryKey}\` | \`${policy.secondaryKey}\` |`);
      expect(README).toContain(`HostName=localhost;SharedAccessKeyName=${policy.name};SharedAccessKey=${policy.primaryKey}\n`);
    });
  }
});
