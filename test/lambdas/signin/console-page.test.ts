import { createHash } from 'node:crypto';
import { consoleSignInPage, escapeHtml, scriptHash } from '@/lambdas/signin/console-page';

describe('consoleSignInPage', () => {
  it('escapes everything it writes into the page', () => {
    const page = consoleSignInPage('https://signin.example.com/saml?a=1&b="2"', '<x>"\'&');
    expect(page.html).toContain('action="https://signin.example.com/saml?a=1&amp;b=&quot;2&quot;"');
    expect(page.html).toContain('name="SAMLResponse" value="&lt;x&gt;&quot;&#39;&amp;"');
    expect(page.html).not.toContain('<x>');
  });

  it("allows its one script by hash and form posts only to the destination's origin", () => {
    const page = consoleSignInPage('http://127.0.0.1:3000/local/aws/saml', 'PHNhbWw+');
    const script = page.html.match(/<script>([\s\S]*?)<\/script>/)?.[1] ?? '';
    expect(script).not.toBe('');
    const csp = page.headers['Content-Security-Policy'];
    expect(csp).toContain(`script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(csp).toContain('form-action http://127.0.0.1:3000;');
    expect(csp).toMatch(/^default-src 'none'; /);
  });
});

describe('escapeHtml', () => {
  it('leaves text without markup as it is', () => {
    expect(escapeHtml('PHNhbWxwOlJlc3BvbnNlIC8+/+=')).toBe('PHNhbWxwOlJlc3BvbnNlIC8+/+=');
  });
});

describe('scriptHash', () => {
  it('is the CSP source expression of the SHA-256 of the script', () => {
    expect(scriptHash('')).toBe('sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });
});
