#!/usr/bin/env node
// The `staxid` npm bin: runs the TypeScript CLI through tsx's namespaced require, so that it
// works straight after `npm ci` with no build step and without hooking other code's requires.
// Outside this repository use the bundle, `npm run build:cli` → dist/staxid.cjs (Node.js only).
'use strict';

let tsx;
try {
  tsx = require('tsx/cjs/api').register({ namespace: 'staxid-cli' });
} catch (error) {
  if (error.code !== 'MODULE_NOT_FOUND') throw error;
  process.stderr.write(
    'staxid: tsx is not installed: run `npm ci`, or use the bundle (`npm run build:cli`).\n',
  );
  process.exit(1);
}
tsx.require('../staxid.ts', __filename).main();
