/**
 * The local stand-in for the AWS console's SAML sign-in endpoint (`POST /saml`): it validates
 * the posted `SAMLResponse` as AWS does and, instead of a console, answers a page saying who
 * signed in where, or an error page like AWS's with 400/403.
 */
import { AwsSamlError, type AwsSamlSignIn, validateAwsSamlResponse } from '@/local/aws/saml-validator';
import { escapeXml, type StsContext } from '@/local/aws/sts-endpoint';

/** The page and its status. */
export interface SignInReply {
  readonly status: number;
  readonly html: string;
}

/** No script, no style sheet, no frame, no form: the page only shows text. */
export const SIGN_IN_PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

/**
 * Answers a form post of `SAMLResponse` (and `RelayState`; `roleIndex` = the chosen role ARN
 * when the assertion carries several, as AWS's role picker posts it).
 */
export function handleSignIn(form: URLSearchParams, context: StsContext): SignInReply {
  const samlResponse = form.get('SAMLResponse');
  if (!samlResponse)
    return errorPage(new AwsSamlError('ValidationError', 'the form has no SAMLResponse field'));
  const roleArn = form.get('roleIndex') ?? undefined;
  try {
    const signIn = validateAwsSamlResponse(samlResponse, { ...context, ...(roleArn && { roleArn }) });
    return { status: 200, html: successPage(signIn, form.get('RelayState') ?? undefined) };
  } catch (error) {
    if (!(error instanceof AwsSamlError)) throw error;
    return errorPage(error);
  }
}

function successPage(signIn: AwsSamlSignIn, relayState: string | undefined): string {
  const heading = `Signed in to the LOCAL AWS console stand-in as ${signIn.roleName} in ${signIn.accountId} (${signIn.sessionName})`;
  const details: [string, string | undefined][] = [
    ['Role', signIn.roleArn],
    ['SAML provider', signIn.principalArn],
    ['Source identity', signIn.sourceIdentity],
    ['Session duration (seconds)', signIn.sessionDuration?.toString()],
    ['Relay state', relayState],
    ...Object.entries(signIn.principalTags).map(([key, value]): [string, string] => [`Tag ${key}`, value]),
  ];
  return page(
    'Signed in (local stand-in)',
    [
      `<h1>${escapeXml(heading)}</h1>`,
      '<p>This is not AWS: no console session exists. The SAML Response passed the checks AWS applies.</p>',
      '<dl>',
      ...details
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => `<dt>${escapeXml(name)}</dt><dd>${escapeXml(value ?? '')}</dd>`),
      '</dl>',
    ].join('\n'),
  );
}

function errorPage(error: AwsSamlError): SignInReply {
  return {
    status: error.status,
    html: page(
      'Amazon Web Services Sign-In (local stand-in)',
      [
        '<h1>Your request included an invalid SAML response.</h1>',
        `<p>${escapeXml(error.code)}: ${escapeXml(error.message)}</p>`,
      ].join('\n'),
    ),
  };
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeXml(title)}</title>\n</head>\n<body>\n${body}\n</body>\n</html>\n`;
}
