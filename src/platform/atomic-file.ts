/**
 * Replace a small file atomically and durably: write a temporary file beside it, fsync it, rename
 * it over the old one, fsync the directory (so the rename itself survives a power cut; best effort
 * where a directory cannot be opened). A crash leaves the old content or the new, never a torn file.
 * Used for the served checkpoint, the derived-state seal and the monitor's state.
 * @throws the file system's error when the file cannot be written or renamed
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true }); // no half-written leftover
    throw e;
  }
  let dir: number | undefined;
  try {
    dir = openSync(dirname(path), 'r');
    fsyncSync(dir);
  } catch {
    // best effort: not every platform syncs a directory
  } finally {
    if (dir !== undefined) closeSync(dir);
  }
}
