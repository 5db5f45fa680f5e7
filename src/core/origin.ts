/**
 * A log's origin (C2SP tlog-checkpoint: the first line of every checkpoint, and the name of the
 * ledger's note key) is fixed by its signed genesis entry. The database also keeps it in
 * `meta.origin`, unsigned, so that the service can start without being told. When the three
 * disagree, say which one moved (issue 16: a changed `meta.origin` was reported as a wrong ledger
 * key, or as the database "belonging" to the changed origin).
 */
import { LedgerError } from './errors.js';

/**
 * The error for a database whose origins disagree, or undefined when they agree.
 * @param genesis the origin in the genesis entry (signed: the log's real origin)
 * @param stored `meta.origin`, undefined when the row is absent
 * @param given the origin the caller opens the log as (`--origin`, or the pinned key's name)
 */
export function originMismatch(genesis: string, stored: string | undefined, given: string | undefined): LedgerError | undefined {
  if (stored !== undefined && stored !== genesis) {
    return new LedgerError(
      'LEDGER_ORIGIN_CHANGED',
      `meta.origin was changed: the database's meta says "${stored}", but its signed genesis entry says "${genesis}"` +
        `${given === undefined ? '' : ` (opened as "${given}")`}; set meta.origin back to "${genesis}" or restore the database from a backup`,
      { details: { genesisOrigin: genesis, storedOrigin: stored, ...(given === undefined ? {} : { givenOrigin: given }) } },
    );
  }
  if (given !== undefined && given !== genesis) {
    return new LedgerError(
      'LEDGER_ORIGIN_MISMATCH',
      `this database is the log of origin "${genesis}" (its genesis entry), not of the "${given}" given`,
      { details: { genesisOrigin: genesis, givenOrigin: given } },
    );
  }
  return undefined;
}
