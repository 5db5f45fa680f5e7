// One baseline of bench/baselines.js in a fresh process, printed as JSON on stdout:
//   node bench/baseline-child.js verify 3
// The ingest targets measure their baseline again around their own load (bench/ledger.js); a
// fresh process keeps whatever the runner holds by then (signed entries, autocannon's sockets)
// out of that figure, as at the start of the run.
import { BASELINES } from './baselines.js';

const [id, seconds = '3'] = process.argv.slice(2);
const b = BASELINES.find((x) => x.id === id);
if (!b) {
  console.error(`baseline-child: no baseline "${id}" (known: ${BASELINES.map((x) => x.id).join(', ')})`);
  process.exit(2);
}
const r = await b.run({ seconds: Number(seconds) });
process.stdout.write(`${JSON.stringify(r)}\n`);
