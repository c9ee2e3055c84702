import { randomUUID } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newId } from '@/lambdas/shared/ids';
import { newSecretKey } from '@/lambdas/shared/secrets';
import type { ApiTokenService } from '@/lambdas/tokens/api-tokens';

/**
 * Local mode's first API token. `npm start` on empty state creates an api_admin token and
 * writes its credentials to `$STAXID_HOME/bootstrap-token.json` (mode 0600), so that the
 * first API call (e.g. CreateUser) can be made with curl. Once any API token exists, nothing
 * is created: a second start reuses the state.
 *
 * The file is written before the token: a crash in between leaves a file whose token does
 * not exist, and the next start (still with no token) creates one and replaces the file.
 * The other order could leave a token nobody knows the secret of, and no way in.
 */

export const BOOTSTRAP_TOKEN_FILE = 'bootstrap-token.json';
export const BOOTSTRAP_TOKEN_NAME = 'staxid-bootstrap';

/** The contents of bootstrap-token.json. */
export interface BootstrapToken {
  readonly AccessKey: string;
  readonly SecretKey: string;
}

export interface BootstrapResult {
  /** Whether this call created the token (false: API tokens already existed). */
  readonly created: boolean;
  /** Where the credentials are (written by this call or an earlier one). */
  readonly file: string;
}

export async function ensureBootstrapToken(tokens: ApiTokenService, home: string): Promise<BootstrapResult> {
  const file = join(home, BOOTSTRAP_TOKEN_FILE);
  if (await tokens.anyExists()) return { created: false, file };
  const credentials: BootstrapToken = { AccessKey: newId(), SecretKey: newSecretKey() };
  writeSecretJson(file, credentials);
  await tokens.createForSystem(
    { kind: 'system', id: 'local-bootstrap' },
    {
      Name: BOOTSTRAP_TOKEN_NAME,
      Role: 'api_admin',
      Description: `Created by the first npm start; the credentials are in ${BOOTSTRAP_TOKEN_FILE}`,
    },
    { accessKey: credentials.AccessKey, secretKey: credentials.SecretKey },
  );
  return { created: true, file };
}

/** Writes JSON readable only by the owner, replacing the file atomically. */
function writeSecretJson(file: string, value: unknown): void {
  const temporary = `${file}.${randomUUID()}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}
