import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Vite's Oxc transform emits Nest's decorator metadata (legacy decorators +
  // emitDecoratorMetadata, as tsconfig.json sets them), so constructor injection works in tests.
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    include: ['lib/**/*.spec.ts', 'test/**/*.e2e-spec.ts', 'test/**/*.int-spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
