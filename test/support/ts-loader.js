// Node module hooks that run the TypeScript sources directly, compiled by TypeScript's own
// transpiler with legacy decorators and their metadata (which Nest's injection needs). Used by
// the integration tests' child processes and by some benchmarks: no build step, never a stale
// dist. (Pure JavaScript on purpose: no native compiler binary to install per platform.)
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const RELATIVE = /^(\.{1,2}\/|\/|file:)/;

const COMPILER_OPTIONS = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  inlineSourceMap: true,
  inlineSources: true,
};

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    // Sources import './x.js'; in the source tree that file is './x.ts'.
    if (RELATIVE.test(specifier) && specifier.endsWith('.js')) return next(`${specifier.slice(0, -3)}.ts`, context);
    throw error;
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) return next(url, context);
  const filename = fileURLToPath(url);
  const { outputText } = ts.transpileModule(await readFile(filename, 'utf8'), { fileName: filename, compilerOptions: COMPILER_OPTIONS });
  return { format: 'module', source: outputText, shortCircuit: true };
}
