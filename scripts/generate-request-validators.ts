import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { requestValidatorsSource } from '@/lambdas/shared/spec-schemas';

/** Writes the precompiled request validators the Lambdas bundle instead of ajv and the spec. */
const target = resolve(__dirname, '..', 'lambdas', 'shared', 'generated', 'request-validators.ts');
writeFileSync(target, requestValidatorsSource());
console.log(`wrote ${target}`);
