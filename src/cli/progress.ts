/**
 * Progress of a long command (export, verify) on stderr: only on a terminal, so that scripts and
 * cron mails see the result alone, and at most 5 times a second.
 */
export interface ProgressLine {
  update(text: string): void;
  /** Ends the line, if anything was shown. */
  done(): void;
}

export function progressLine(what: string): ProgressLine {
  if (!process.stderr.isTTY) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      process.stderr.write(`\r${what}: ${text}\u001b[K`);
    },
    done() {
      if (shown) process.stderr.write('\n');
    },
  };
}
