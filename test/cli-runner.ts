/**
 * Run the `trace-ledger` command in-process and capture what it prints. Only console.log and
 * process.stderr are replaced: tap writes its own output to process.stdout.
 */
import { format } from 'node:util';
import { main } from '../src/cli/main.js';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function cli(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const write = process.stderr.write;
  console.log = (...args: unknown[]) => void out.push(format(...args) + '\n');
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
}
