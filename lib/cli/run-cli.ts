import { formatReport } from '../doctor/format-report.js';
import { runDoctor } from '../doctor/run-doctor.js';
import { parseDoctorArgs } from './parse-doctor-args.js';
import { USAGE } from './usage.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
}

/** Runs the CLI for `argv` (without node and the script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const command = parseDoctorArgs(argv, io.env);
  if (command.kind === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (command.kind === 'usage-error') {
    io.stderr(`error: ${command.message}\n\n${USAGE}`);
    return 2;
  }
  const report = await runDoctor(command.options);
  io.stdout(command.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.exitCode;
}
