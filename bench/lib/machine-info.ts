/**
 * A description of the machine a benchmark ran on, stored with every result.
 *
 * Ratios are comparable across machines; absolute numbers are not, so every result file says
 * where it came from (CPU model and count, memory, OS, Node version).
 *
 * @module
 */
import os from 'node:os';

/** Where a benchmark ran. */
export interface MachineInfo {
  /** `process.version`, e.g. `v20.19.0`. */
  readonly node: string;
  /** `os.platform()` and `os.release()`. */
  readonly os: string;
  /** `os.arch()`. */
  readonly arch: string;
  /** The first CPU's model string. */
  readonly cpuModel: string;
  /** Logical CPUs the process may use (`os.availableParallelism()`). */
  readonly cpus: number;
  /** Total memory in GiB, one decimal. */
  readonly memoryGiB: number;
  /**
   * The 1-minute load average when the suite finished: on a shared machine, a load above the CPU
   * count means other processes competed for the cores (threads suffer most). Absent in old results.
   */
  readonly loadAverage?: number;
}

/**
 * Describes the current machine.
 * @returns the machine info for a result file.
 */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    os: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: Math.round((os.loadavg()[0] ?? 0) * 10) / 10,
  };
}

/**
 * One line for tables and headers: `Node v20.19.0 · linux x64 · 2 × Intel(R) Xeon … · 7.7 GiB · load average 0.4`.
 * @param info - a machine info.
 * @returns the summary.
 */
export function describeMachine(info: MachineInfo): string {
  const load = info.loadAverage === undefined ? '' : ` · load average ${info.loadAverage}`;
  return `Node ${info.node} · ${info.os} ${info.arch} · ${info.cpus} × ${info.cpuModel} · ${info.memoryGiB} GiB${load}`;
}
