// `node --import ./test/support/swc-register.js file.ts` runs a TypeScript entry point.
import { register } from 'node:module';

register('./swc-loader.js', import.meta.url);
