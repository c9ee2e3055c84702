import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AccountRoles, RevocationTarget } from '@/lambdas/revocation/revocation-target';

/**
 * Local mode's stand-in for member accounts, which do not exist there: each account's
 * revocation policies are recorded in `<dir>/<awsAccountId>.json` (`$STAXID_HOME/revocations`)
 * as `{ "<role name>": <policy document> }`, so a person can see what staxid would deny.
 * Every account holds the built-in roles and the permission-set roles the local deployer
 * put there (`permissionSetRoles`, listed as `/staxid/` roles are in AWS).
 */
export class LocalRevocationTarget implements RevocationTarget {
  constructor(
    private readonly dir: string,
    /** The permission-set roles deployed in an account (local/deployer.ts `LocalIam.roleNames`). */
    private readonly permissionSetRoles: (awsAccountId: string) => Promise<string[]> = async () => [],
  ) {}

  async account(awsAccountId: string): Promise<AccountRoles> {
    if (!/^\d{12}$/.test(awsAccountId)) throw new Error(`not an AWS account id: "${awsAccountId}"`);
    return new LocalAccountRoles(join(this.dir, `${awsAccountId}.json`), () =>
      this.permissionSetRoles(awsAccountId),
    );
  }
}

type RecordedPolicies = Record<string, unknown>;

class LocalAccountRoles implements AccountRoles {
  constructor(
    private readonly file: string,
    private readonly permissionSetRoles: () => Promise<string[]>,
  ) {}

  async listPermissionSetRoles(): Promise<string[]> {
    return this.permissionSetRoles();
  }

  async readPolicy(roleName: string): Promise<string | undefined> {
    const policy = (await this.load())[roleName];
    return policy === undefined ? undefined : JSON.stringify(policy);
  }

  async writePolicy(roleName: string, document: string): Promise<boolean> {
    const policies = await this.load();
    await this.save({ ...policies, [roleName]: JSON.parse(document) });
    return true;
  }

  async deletePolicy(roleName: string): Promise<void> {
    const { [roleName]: _removed, ...rest } = await this.load();
    await this.save(rest);
  }

  private async load(): Promise<RecordedPolicies> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as RecordedPolicies;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }

  /** Writes through a temporary file and a rename, so a reader never sees half a file. */
  private async save(policies: RecordedPolicies): Promise<void> {
    await mkdir(join(this.file, '..'), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(policies, null, 2)}\n`);
    await rename(temporary, this.file);
  }
}
