import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** The code block of a README section, the first one after its heading. */
function codeBlockOf(readme: string, heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start, `README has no "${heading}" section`).toBeGreaterThan(-1);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  expect(match, `no ts code block under "${heading}"`).not.toBeNull();
  return match![1]!;
}

describe('the README examples', () => {
  it('"Testing your app" shows test/e2e/readme-testing-example.e2e-spec.ts, with the package\'s import paths', () => {
    const spec = readFileSync(join(root, 'test', 'e2e', 'readme-testing-example.e2e-spec.ts'), 'utf8');
    const asPublished = spec
      .slice(spec.indexOf('import '))
      .replaceAll("'../../lib/testing/index.js'", "'nestjs-keycloak-logout/testing'")
      .replaceAll("'../../lib/index.js'", "'nestjs-keycloak-logout'");
    expect(codeBlockOf(readFileSync(join(root, 'README.md'), 'utf8'), '## Testing your app')).toBe(asPublished);
  });
});
