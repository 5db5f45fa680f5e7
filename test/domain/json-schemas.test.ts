import t from 'tap';
import { readFileSync } from 'node:fs';
import { jsonSchemas } from '../../src/domain/json-schemas.js';

t.test('schemas/ holds exactly what the zod schemas generate (run `npm run schemas` after changing them)', async (t) => {
  for (const [name, schema] of Object.entries(jsonSchemas())) {
    const file = new URL(`../../schemas/${name}`, import.meta.url);
    t.equal(readFileSync(file, 'utf8'), `${JSON.stringify(schema, null, 2)}\n`, `${name} is up to date`);
  }
});

t.test('the generated schema describes every payload type', async (t) => {
  const text = JSON.stringify(jsonSchemas()['payload.schema.json']);
  for (const type of ['ledger.genesis', 'participant.register', 'participant.key.add', 'participant.key.revoke']) {
    t.match(text, `"${type}"`, type);
  }
});
