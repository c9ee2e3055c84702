/**
 * Proof Key for Code Exchange (RFC 7636) for the hosted-UI sign-in: the console keeps a random
 * verifier and sends only its S256 challenge to `/oauth2/authorize`, so a stolen authorization
 * code is useless without the verifier. Web Crypto only: the same code runs in the browser and
 * in Node (the unit test and the local hosted-UI stand-in).
 */

/** 32 random bytes in base64url: 43 characters, the shortest verifier RFC 7636 allows; also the `state`. */
export function randomUrlSafe(byteCount = 32): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** The S256 code challenge of a verifier: base64url(SHA-256(ASCII(verifier))), no padding. */
export async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
