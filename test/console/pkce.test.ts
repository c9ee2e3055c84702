/**
 * The console's PKCE helpers (console/src/pkce.ts), run in Node's Web Crypto as in the browser:
 * the S256 challenge of RFC 7636's own example, and verifiers of the allowed shape.
 */
import { randomUrlSafe, s256 } from '@/console/src/pkce';

describe('PKCE helpers', () => {
  it('derives the S256 challenge of the RFC 7636 Appendix B verifier', async () => {
    await expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).resolves.toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes 43-character base64url verifiers (RFC 7636 §4.1), different every time', () => {
    const verifiers = Array.from({ length: 50 }, () => randomUrlSafe());
    for (const verifier of verifiers) expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(verifiers).size).toBe(verifiers.length);
  });

  it('gives a challenge that is itself base64url without padding', async () => {
    const challenge = await s256(randomUrlSafe(96));
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
