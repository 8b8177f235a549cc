import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Whether a package can be found from this library, without loading it. A package whose
 * `exports` do not expose its entry to `require` is still installed.
 */
export function packageInstalled(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
  }
}
