/** `npm run schemas`: write schemas/*.json from the zod schemas. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemas } from '../domain/json-schemas.js';
import { REPO_ROOT } from './demo.js';

export function writeSchemas(dir = join(REPO_ROOT, 'schemas')): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(jsonSchemas()).map(([name, schema]) => {
    const path = join(dir, name);
    writeFileSync(path, `${JSON.stringify(schema, null, 2)}\n`);
    return path;
  });
}
