/**
 * What `trace-ledger --help` and `trace-ledger <command> --help` print. One block per command,
 * written once: the overview lists every block under its group, a command's help shows its own.
 */
import { readFileSync } from 'node:fs';

interface CommandHelp {
  readonly group: 'Operator' | 'Participants' | 'Tracing' | 'Labels' | 'Audit';
  /** Synopsis and explanation, as they appear in the overview (indented by 2). */
  readonly text: string;
}

const COMMANDS: Record<string, CommandHelp> = {
  init: {
    group: 'Operator',
    text: `
  init        [--db data/ledger.db] [--origin ORIGIN] [--operator-id operator] [--operator-name NAME]
              create the ledger key, the operator key and the genesis entry`,
  },
  serve: {
    group: 'Operator',
    text: `
  serve       [--db data/ledger.db] [--port 8080] [--host 127.0.0.1] [--origin ORIGIN] [--demo]
              [--public-url https://trace.example.com]
              run the HTTP service (initialises the database on first run); QR codes and
              resolver links use --public-url (or $PUBLIC_URL), default the listening URL (the
              LAN address for --host 0.0.0.0); --demo only on its own ledger (data/demo/ledger.db)`,
  },
  participant: {
    group: 'Operator',
    text: `
  participant add    --id ID --name NAME --roles supplier,... --public-key FILE [--gln GLN]
                     [--prefixes GCP,...]   its GS1 Company Prefixes (none: no GS1 codes)
  participant prefixes --id ID --prefixes GCP,...   replace a participant's company prefixes
  participant revoke --id ID --kid KID [--reason TEXT]
              sign with the operator key (--key data/operator.key.pem) and submit (--url)`,
  },
  backup: {
    group: 'Operator',
    text: `
  backup      --out FILE [--db data/ledger.db]
              consistent copy of the database while the service runs (SQLite online backup);
              the keys beside it are not copied: back them up once, separately`,
  },
  keygen: {
    group: 'Participants',
    text: `
  keygen      --out FILE.key.pem          new Ed25519 key pair (private 0600, FILE.pub.pem public)`,
  },
  sign: {
    group: 'Participants',
    text: `
  sign        --key FILE --signer ID PAYLOAD.json
              print the signed entry (id and time are filled in when the payload has none)`,
  },
  submit: {
    group: 'Participants',
    text: `
  submit      --key FILE --signer ID PAYLOAD.json [--url URL] [--prove [--ledger-key KEY]]
              sign, submit, and with --prove check the inclusion proof against the signed checkpoint`,
  },
  trace: {
    group: 'Tracing',
    text: `
  trace       CODE [--up | --down | --history | --footprint | --state] [--json] [--url URL]
              provenance (default --up), downstream impact, every entry, PACT footprint, current state`,
  },
  demo: {
    group: 'Tracing',
    text: `
  demo        [--url URL] [--db data/demo/ledger.db]
              load the demo cluster into a running service (keys in keys/, operator key beside --db)`,
  },
  rebuild: {
    group: 'Tracing',
    text: `
  rebuild     [--db data/ledger.db]
              recreate the registry and traceability tables from the log alone (refused while
              the service runs: stop it first)`,
  },
  qr: {
    group: 'Labels',
    text: `
  qr          CODE --out FILE.svg|FILE.png [--public-url URL] [--size PX]
              QR of the code's Digital Link on the resolver's public URL (default $PUBLIC_URL or
              http://127.0.0.1:8080); offline, prints the URI it encodes`,
  },
  labels: {
    group: 'Labels',
    text: `
  labels      CODE... --out FILE.svg [--skip N] [--outlines] [--url URL]
              one A4 sheet of up to 24 QR labels (product name, lot/serial, code) from the service`,
  },
  export: {
    group: 'Audit',
    text: `
  export      --out FILE [--code CODE [--direction up|down|both] | --from SEQ [--to SEQ]] [--since SIZE] [--url URL]
              stream an audit bundle (NDJSON) from the service: the whole log, one code's chain
              (default both directions) or the records from <= seq < to, each scoped record with its
              inclusion proof; --since adds a consistency proof from that older tree size`,
  },
  verify: {
    group: 'Audit',
    text: `
  verify      BUNDLE --key LEDGER_KEY|FILE | --trust-bundle-key [--checkpoint OLD.txt] [--json]
              check a bundle offline: every hash, signature (key valid at that seq), the Merkle
              root or each inclusion proof, the checkpoint signature against --key (or, with
              --trust-bundle-key, the bundle's own key, reported as not pinned), and with
              --checkpoint that the log only grew since OLD.txt; exit 0 only when everything
              holds, 1 when a check fails, 2 without --key or --trust-bundle-key
  verify      --db FILE --key LEDGER_KEY|FILE | --trust-db-key [--json]
              full integrity check of a database file (a snapshot of it: the service may run):
              every record, hash, signature, Merkle node and checkpoint, and the derived tables
              against a rebuild from the log; names each change; exit 0 only when clean;
              --trust-db-key checks against the key in the file's own genesis entry`,
  },
  monitor: {
    group: 'Audit',
    text: `
  monitor     --state FILE [--key LEDGER_KEY|FILE] [--url URL]
              for cron: verify the latest checkpoint and that it extends the one kept in FILE;
              exit 3 and "ALERT: ..." on a bad signature, rollback, fork or inconsistency, 1 when
              the check could not run; without --key the first run trusts the served key (TOFU)`,
  },
  report: {
    group: 'Audit',
    text: `
  report      handoff SHIPMENT | origin CODE [--format html|json] [--out FILE] [--key KEY] [--url URL]
              dispute report: both parties' signed statements (handoff: SHIPMENT = seq or leaf hash
              of the ship entry) or the upstream path to every source lot, with entries, proofs and
              the checkpoint, checked before it is written; HTML prints to PDF from a browser
  report      verify FILE --key LEDGER_KEY|FILE | --trust-report-key [--json]
              check a saved report (JSON or HTML) offline (--trust-report-key: against its own key)`,
  },
};

const COMMON = 'Common: --url (default http://127.0.0.1:8080 or $TRACE_LEDGER_URL), --help (-h), --version (-V)';

export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** `trace-ledger --help`: every command, by group. */
export function overviewUsage(): string {
  const groups = [...new Set(Object.values(COMMANDS).map((c) => c.group))];
  const sections = groups.map((g) => `${g}${Object.values(COMMANDS).filter((c) => c.group === g).map((c) => c.text).join('')}`);
  return `Usage: trace-ledger <command> [options]     (trace-ledger <command> --help for one command)\n\n${sections.join('\n\n')}\n\n${COMMON}`;
}

/** `trace-ledger <command> --help`, or undefined for an unknown command. */
export function commandUsage(command: string): string | undefined {
  if (!Object.hasOwn(COMMANDS, command)) return undefined;
  const help = COMMANDS[command]!;
  return `Usage: trace-ledger ${command} [options]\n${help.text}\n\n${COMMON}`;
}

/** `trace-ledger --version`: the version in package.json (two levels up from src/cli and dist/cli). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}
