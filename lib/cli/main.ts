#!/usr/bin/env node
import { runCli } from './run-cli.js';

// The `nestjs-keycloak-logout` command (package.json "bin"). Exit codes: see lib/cli/usage.ts.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
