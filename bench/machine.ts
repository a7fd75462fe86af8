/** The machine a benchmark ran on, stated beside its figures. */
import os from 'node:os';

/** CPUs, memory and versions. */
export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly node: string;
  readonly rabbitmq: string;
  readonly platform: string;
}

export function describeMachine(rabbitmqVersion: string): MachineInfo {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    rabbitmq: rabbitmqVersion,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}
