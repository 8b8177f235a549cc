// `node --import ./test/support/ts-register.js file.ts` runs a TypeScript entry point.
import { register } from 'node:module';

register('./ts-loader.js', import.meta.url);
