/**
 * Test seam for fault injection where real faults cannot be produced (no root to mount a full
 * tmpfs or a read-only bind mount). Every write path of the engine calls `faultPoint(op, path)`
 * before writing; a test registers a rule that throws an OS-style error (`ENOSPC`, `EROFS`, …).
 * With no rule registered this is one array-length check. Not exported from the package.
 */
export type FaultOp = 'blob-write' | 'wal-extend' | 'wal-sync' | 'segment-write' | 'segment-seal';

interface FaultRule {
  code: string;
  match: (op: FaultOp, target: string) => boolean;
}

const rules: FaultRule[] = [];

export const faults = {
  inject(code: string, match: (op: FaultOp, target: string) => boolean): void {
    rules.push({ code, match });
  },
  clear(): void {
    rules.length = 0;
  },
};

export function faultPoint(op: FaultOp, target: string): void {
  if (rules.length === 0) return;
  for (const r of rules) {
    if (r.match(op, target)) {
      throw Object.assign(new Error(`${r.code}: injected fault, ${op}`), { code: r.code, syscall: 'write' });
    }
  }
}
