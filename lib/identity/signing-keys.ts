import { Lazy } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';

/** The roles each signing key lets sign, gathered as functions are granted it. */
const signers = new WeakMap<IKey, IRole[]>();

/**
 * Grants `role` kms:Sign (and kms:GetPublicKey) on a signing key, and makes it one of the only
 * principals the key itself lets sign. Every member account trusts what the SAML key signs,
 * and the API trusts what the token key signs: an IAM policy that grants `kms:Sign` on `*` to
 * some other principal of the security account (PowerUserAccess, a CI or break-glass role)
 * must not be enough to mint a SAML assertion for any role in any account, or an access
 * token, past the functions that audit each one. The key policy keeps the account root's
 * administration (no lockout: the root may still change the policy) and adds one Deny of
 * kms:Sign for every principal but the granted roles.
 */
export function grantSigning(key: IKey, role: IRole): void {
  key.grant(role, 'kms:Sign', 'kms:GetPublicKey');
  let roles = signers.get(key);
  if (!roles) {
    const granted: IRole[] = [];
    roles = granted;
    signers.set(key, granted);
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyStaxidSignersMaySign',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['kms:Sign'],
        resources: ['*'],
        conditions: {
          ArnNotEquals: {
            'aws:PrincipalArn': Lazy.list({ produce: () => granted.map((signer) => signer.roleArn) }),
          },
        },
      }),
    );
  }
  if (!roles.includes(role)) roles.push(role);
}
