/**
 * The files a command reads and writes, with one-line errors that name the file and the system's
 * error code (`cannot read x.json: EACCES`) instead of a stack trace.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseJson } from '../core/jcs.js';
import { requireFile } from './args.js';

/** The text of `path`. @throws Error naming the file and the errno code */
export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new Error(`cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`);
  }
}

/** A JSON file (strict parsing, src/core/jcs.ts); `what` names it when it is missing. @throws CliError, Error */
export function readJsonFile(path: string, what: string): unknown {
  requireFile(path, what);
  const text = readTextFile(path);
  try {
    return parseJson(text);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** Write `data` to `out`, creating its directory; returns the absolute path. @throws Error naming the file */
export function writeOutput(out: string, data: string | Uint8Array): string {
  const path = resolve(out);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  } catch (cause) {
    throw new Error(`cannot write ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`);
  }
  return path;
}
