// npm run schemas: regenerate schemas/*.json from the zod schemas (after npm run build).
import { writeSchemas } from '../dist/cli/schemas.js';

for (const path of writeSchemas()) console.log(`wrote ${path}`);
