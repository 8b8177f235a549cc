/** An error as a log line shows it: its message, or its name when the message is empty. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
