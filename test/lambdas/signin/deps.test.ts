import { AWS_SAML_SIGNIN_URL } from '@/lambdas/shared/constants';
import { anonymousStsClient, partitionOf, signInConfigFromEnv } from '@/lambdas/signin/deps';
import { SIGNIN_ENV } from '@/lambdas/signin/env';

describe('signInConfigFromEnv', () => {
  const base = {
    [SIGNIN_ENV.entityId]: 'https://api.staxid.test/saml/metadata.xml',
    AWS_REGION: 'eu-west-1',
  };

  it('defaults the destination to the AWS SAML endpoint and built-in sessions to one hour', () => {
    expect(signInConfigFromEnv(base)).toEqual({
      entityId: 'https://api.staxid.test/saml/metadata.xml',
      destination: AWS_SAML_SIGNIN_URL,
      partition: 'aws',
      builtinSessionSeconds: 3600,
    });
  });

  it('takes the local sign-in stand-in and a longer built-in session from the environment', () => {
    const config = signInConfigFromEnv({
      ...base,
      [SIGNIN_ENV.destination]: 'http://127.0.0.1:3000/local/aws/saml',
      [SIGNIN_ENV.builtinSessionSeconds]: '43200',
    });
    expect(config.destination).toBe('http://127.0.0.1:3000/local/aws/saml');
    expect(config.builtinSessionSeconds).toBe(43_200);
  });

  it.each(['3599', '43201', '1h', '3600.5'])('refuses a built-in session of %s seconds', (value) => {
    expect(() => signInConfigFromEnv({ ...base, [SIGNIN_ENV.builtinSessionSeconds]: value })).toThrow(
      `environment variable STAXID_BUILTIN_SESSION_SECONDS must be 3600 to 43200 seconds (got "${value}")`,
    );
  });

  it('needs the entity id', () => {
    expect(() => signInConfigFromEnv({ AWS_REGION: 'eu-west-1' })).toThrow(
      'environment variable STAXID_SAML_ENTITY_ID is not set',
    );
  });
});

describe('partitionOf', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
  ])('%s is in %s', (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });
});

describe('anonymousStsClient', () => {
  it('has empty credentials of its own, so it never looks for any', async () => {
    const sts = anonymousStsClient({
      AWS_REGION: 'us-east-1',
      [SIGNIN_ENV.stsEndpoint]: 'http://127.0.0.1:9',
    });
    const credentials = await sts.config.credentials();
    expect(credentials).toMatchObject({ accessKeyId: '', secretAccessKey: '' });
    const endpoint = await sts.config.endpoint?.();
    expect(endpoint?.hostname).toBe('127.0.0.1');
  });
});
