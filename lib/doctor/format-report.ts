import type { DoctorReport } from './run-doctor.js';
import type { Severity } from './finding.js';

const LABEL: Record<Severity, string> = { error: 'ERROR', warning: 'WARN ', ok: 'ok   ' };

/** The report for a person: one line per finding, its fix indented below, then a verdict. */
export function formatReport(report: DoctorReport): string {
  const lines = [`nestjs-keycloak-logout doctor: issuer ${report.issuer}, client ${report.clientId}${report.appUrl ? `, app ${report.appUrl}` : ''}`, ''];
  for (const finding of report.findings) {
    lines.push(`${LABEL[finding.severity]} ${finding.id}: ${finding.message}`);
    if (finding.severity !== 'ok' && finding.fix) lines.push(`      fix: ${finding.fix}`);
  }
  const { errors, warnings, ok } = report.summary;
  lines.push('');
  lines.push(
    errors > 0
      ? `${errors} error(s), ${warnings} warning(s), ${ok} ok: single logout is broken until the errors are fixed.`
      : `${warnings} warning(s), ${ok} ok: nothing found that breaks single logout.`,
  );
  return `${lines.join('\n')}\n`;
}
