/**
 * The PostgreSQL schema: the same tables, columns (in the same order) and meanings as the SQLite
 * store's (src/store/sqlite*.ts), so that the derived-state checks compare a PostgreSQL ledger
 * with a replay into a scratch SQLite store row for row. Differences, each for a reason:
 *
 * - One schema, no migration history: this engine starts at version 1; later versions add steps
 *   to `POSTGRES_MIGRATIONS`, and `meta.schema_version` says which ones ran.
 * - Hashes are BYTEA and sequence numbers BIGINT. Text is `COLLATE "C"` (byte order), the order
 *   SQLite's BINARY collation gives, so that both engines page derived tables in the same order.
 * - (signer, entry_id) and leaf_hash are plain unique indexes: PostgreSQL maintains them without
 *   the SQLite store's deferred key tables (issue 17: a dedup index is not part of the log).
 * - Merkle nodes are keyed by (level, idx).
 *
 * The log tables (records, merkle_nodes, checkpoints) are append-only in the database itself:
 * triggers refuse UPDATE, DELETE and TRUNCATE, and a record whose seq is not the next one,
 * whatever code or person talks to the database.
 */

/** Raised by the append-only triggers (SQLSTATE P0001 with this text in the message). */
export const APPEND_ONLY = 'append-only';

const T = 'TEXT COLLATE "C"';

const V1 = `
  CREATE TABLE meta (key ${T} PRIMARY KEY, value TEXT NOT NULL);

  CREATE TABLE records (
    seq BIGINT PRIMARY KEY,
    signer ${T} NOT NULL,
    entry_id ${T} NOT NULL,
    type ${T} NOT NULL,
    payload_hash BYTEA NOT NULL,
    leaf BYTEA NOT NULL,
    leaf_hash BYTEA NOT NULL,
    chain_hash BYTEA NOT NULL
  );
  CREATE UNIQUE INDEX records_signer_entry ON records (signer, entry_id);
  CREATE UNIQUE INDEX records_leaf_hash ON records (leaf_hash);

  CREATE TABLE merkle_nodes (level INTEGER NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL, PRIMARY KEY (level, idx));

  CREATE TABLE checkpoints (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, size BIGINT NOT NULL, root BYTEA NOT NULL,
    note TEXT NOT NULL, signed_at TEXT NOT NULL
  );
  CREATE INDEX checkpoints_size ON checkpoints (size);

  CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '% are ${APPEND_ONLY}', TG_TABLE_NAME; END $$;
  -- The records lock keeps two writers from both reading the same MAX(seq) (the ledger has one
  -- writer, but the database should not rely on it).
  CREATE FUNCTION records_next_seq() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.seq IS DISTINCT FROM (SELECT COALESCE(MAX(seq), -1) + 1 FROM records) THEN
        RAISE EXCEPTION 'records are ${APPEND_ONLY}: seq must be the next one (got %)', NEW.seq;
      END IF;
      RETURN NEW;
    END $$;
  CREATE TRIGGER records_next_seq BEFORE INSERT ON records FOR EACH ROW EXECUTE FUNCTION records_next_seq();
  CREATE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON records FOR EACH ROW EXECUTE FUNCTION refuse_change();
  CREATE TRIGGER records_no_truncate BEFORE TRUNCATE ON records FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
  CREATE TRIGGER merkle_nodes_append_only BEFORE UPDATE OR DELETE ON merkle_nodes FOR EACH ROW EXECUTE FUNCTION refuse_change();
  CREATE TRIGGER merkle_nodes_no_truncate BEFORE TRUNCATE ON merkle_nodes FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
  CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_change();
  CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

  -- The registry: caches of the log, rebuilt from it.
  CREATE TABLE participants (id ${T} PRIMARY KEY, name ${T} NOT NULL, roles ${T} NOT NULL, gln ${T}, registered_seq BIGINT NOT NULL);
  CREATE TABLE participant_keys (
    added_seq BIGINT NOT NULL, kid ${T} NOT NULL, participant ${T} NOT NULL REFERENCES participants (id),
    public_key BYTEA NOT NULL, revoked_seq BIGINT, added_by ${T} NOT NULL DEFAULT '', operator_added INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (added_seq, kid)
  );
  CREATE INDEX participant_keys_kid ON participant_keys (kid);
  CREATE INDEX participant_keys_participant ON participant_keys (participant, added_seq, kid);
  CREATE INDEX participant_keys_operator_added ON participant_keys (added_seq) WHERE operator_added = 1;

  -- GS1 Company Prefixes (src/store/sqlite-prefixes.ts).
  CREATE TABLE participant_prefixes (participant ${T} PRIMARY KEY, prefixes ${T} NOT NULL, seq BIGINT NOT NULL);
  CREATE TABLE company_prefixes (prefix ${T} PRIMARY KEY, participant ${T} NOT NULL, seq BIGINT NOT NULL);
  CREATE INDEX company_prefixes_participant ON company_prefixes (participant);
  CREATE TABLE prefix_delegations (
    delegate ${T} NOT NULL, seq BIGINT NOT NULL, prefix ${T} NOT NULL, grantor ${T} NOT NULL, until ${T}, revoked_seq BIGINT,
    PRIMARY KEY (delegate, seq, prefix)
  );

  -- The traceability projections (src/store/sqlite-domain.ts). spec is canonical JSON (RFC 8785).
  CREATE TABLE objects (
    code ${T} PRIMARY KEY, level ${T} NOT NULL, unit ${T} NOT NULL, quantity BIGINT NOT NULL,
    producer ${T} NOT NULL, created_seq BIGINT NOT NULL, created_by ${T} NOT NULL, spec ${T} NOT NULL,
    recalled_seq BIGINT
  );
  CREATE TABLE holdings (code ${T} NOT NULL, holder ${T} NOT NULL, quantity BIGINT NOT NULL, PRIMARY KEY (code, holder));
  CREATE TABLE edges (output ${T} NOT NULL, input ${T} NOT NULL, quantity BIGINT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (output, input));
  CREATE INDEX edges_input ON edges (input);
  CREATE TABLE containment (parent ${T} NOT NULL, child ${T} NOT NULL, quantity BIGINT NOT NULL, PRIMARY KEY (parent, child));
  CREATE INDEX containment_child ON containment (child);
  CREATE TABLE shipments (
    seq BIGINT PRIMARY KEY, sender ${T} NOT NULL, receiver ${T} NOT NULL, carrier ${T},
    received_seq BIGINT, retracted_seq BIGINT
  );
  CREATE TABLE shipment_items (
    shipment_seq BIGINT NOT NULL, code ${T} NOT NULL, shipped BIGINT NOT NULL, received BIGINT,
    PRIMARY KEY (shipment_seq, code)
  );
  CREATE INDEX shipment_items_code ON shipment_items (code);
  CREATE TABLE touches (
    code ${T} NOT NULL, seq BIGINT NOT NULL, role ${T} NOT NULL, signer ${T} NOT NULL, quantity BIGINT,
    PRIMARY KEY (code, seq, role)
  );
  CREATE INDEX touches_seq ON touches (seq);
  CREATE TABLE retractions (target_seq BIGINT PRIMARY KEY, seq BIGINT NOT NULL);
`;

/** Schema steps; step i brings schema_version i to i + 1. */
export const POSTGRES_MIGRATIONS: readonly string[] = [V1];

/** The registry tables, then the prefix tables: the order SQLite's dumpProjections() lists them. */
export const REGISTRY_TABLES = ['participants', 'participant_keys', 'participant_prefixes', 'company_prefixes', 'prefix_delegations'] as const;
/** The projection tables, in the order SQLite's DOMAIN_TABLES lists them. */
export const PROJECTION_TABLES = ['objects', 'holdings', 'edges', 'containment', 'shipments', 'shipment_items', 'touches', 'retractions'] as const;
/** Every derived table, in the order the derived-state checks take them (as the SQLite store). */
export const DERIVED_TABLES: readonly string[] = [...REGISTRY_TABLES, ...PROJECTION_TABLES];
