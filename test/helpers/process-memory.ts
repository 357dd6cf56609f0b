import { existsSync, readFileSync } from 'node:fs';

/**
 * Resident memory of another process, from Linux's /proc/<pid>/status:
 * VmRSS now, VmHWM the peak since the process started. The HTTP tests measure
 * the server child this way (a test cannot force a GC in the child, so it
 * compares before and after, or reads the peak).
 */
export const CAN_READ_PROCESS_MEMORY = existsSync('/proc/self/status');

export function rssMiB(pid: number): number {
  return statusKiB(pid, 'VmRSS') / 1024;
}

export function peakRssMiB(pid: number): number {
  return statusKiB(pid, 'VmHWM') / 1024;
}

function statusKiB(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!m?.[1]) throw new Error(`/proc/${pid}/status has no ${field} line`);
  return Number(m[1]);
}
