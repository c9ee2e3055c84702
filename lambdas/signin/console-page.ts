import { createHash } from 'node:crypto';

/**
 * The page that carries a SAML Response from staxid to the AWS sign-in endpoint: a form
 * the browser posts by itself. Its Content-Security-Policy allows nothing but the one
 * inline script (by its hash) and a post to the sign-in endpoint's origin; without
 * script, a button does the same.
 */

/** What the browser runs: submit the only form on the page. */
const AUTO_SUBMIT_SCRIPT = 'document.forms[0].submit();';

export interface ConsoleSignInPage {
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The page posting `samlResponse` (base64) to `destination`, with the headers that lock it down. */
export function consoleSignInPage(destination: string, samlResponse: string): ConsoleSignInPage {
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><title>Signing in to AWS</title></head>',
    '<body>',
    `<form method="post" action="${escapeHtml(destination)}">`,
    `<input type="hidden" name="SAMLResponse" value="${escapeHtml(samlResponse)}">`,
    '<input type="hidden" name="RelayState" value="">',
    '<noscript><p>JavaScript is off: continue to AWS with the button.</p>',
    '<button type="submit">Sign in to AWS</button></noscript>',
    '</form>',
    `<script>${AUTO_SUBMIT_SCRIPT}</script>`,
    '</body>',
    '</html>',
  ].join('\n');
  return { html, headers: consolePageHeaders(destination) };
}

function consolePageHeaders(destination: string): Record<string, string> {
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      `script-src '${scriptHash(AUTO_SUBMIT_SCRIPT)}'`,
      `form-action ${new URL(destination).origin}`,
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
  };
}

/** The CSP source expression of an inline script: `sha256-<base64 of its SHA-256>`. */
export function scriptHash(script: string): string {
  return `sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}`;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an HTML attribute value or element content. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}
