/** What the whole machine did during a window, so that load from other processes can be reported. */
import os from 'node:os';
import { readFileSync } from 'node:fs';

function busyAndTotal(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const { user, nice, sys, idle, irq } = cpu.times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + idle + irq;
  }
  return { busy, total };
}

/** Starts a window; the returned function gives the busy CPU of all cores over it, in % of one core (2 cores: 0-200). */
export function machineCpuWindow(): () => number {
  const start = busyAndTotal();
  const cores = os.cpus().length;
  return () => {
    const end = busyAndTotal();
    const total = end.total - start.total;
    return total > 0 ? ((end.busy - start.busy) / total) * 100 * cores : NaN;
  };
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  cpuMHz: number;
  totalMemGiB: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started and when it ended. */
  loadAvgStart: number;
  loadAvgEnd?: number;
  /** Busy CPU of the whole machine over 2 s before the run (other people's load), % of one core. */
  backgroundCpuPercent?: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    cpuMHz: cpus[0]?.speed ?? 0,
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAvgStart: os.loadavg()[0]!,
  };
}

/** Busy CPU of the machine over `ms` while this process waits: the background load, % of one core. */
export async function sampleBackgroundCpu(ms: number): Promise<number> {
  const read = machineCpuWindow();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return read();
}

/** This process's open-files limit (soft), from /proc on Linux; Infinity when unlimited, NaN when unknown. */
export function openFilesLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return Infinity;
    return soft === undefined ? NaN : Number(soft);
  } catch {
    return NaN;
  }
}
