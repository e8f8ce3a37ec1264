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
    loadAverage: Math.round(loadAverageNow() * 10) / 10,
  };
}

/**
 * The 1-minute load average now.
 * @returns it; 0 where the OS reports none (Windows).
 */
export function loadAverageNow(): number {
  return os.loadavg()[0] ?? 0;
}

/**
 * The sentence a suite's notes give on machine load over its run, one wording for every suite.
 *
 * On a shared machine the load says how much other processes competed for the cores while the suite ran, which is
 * how far its absolute figures can be trusted; suites go on after it with what that load means for their rows.
 * @param before - {@link loadAverageNow} when the suite started.
 * @param after - the load average when it finished. @defaultValue {@link loadAverageNow}
 * @returns `Machine load average (1 min) 1.2 before and 2.3 after the run, on 2 cores`, without a final stop.
 */
export function loadAverageNote(before: number, after = loadAverageNow()): string {
  return `Machine load average (1 min) ${before.toFixed(1)} before and ${after.toFixed(1)} after the run, on ${machineInfo().cpus} cores`;
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
