/**
 * The console's single-page app at /admin (dist/admin-ui, built by `npm run build`), served by the
 * built service (`node dist/main`: ServeStaticModule needs the real HTTP adapter, which an in-process
 * testing module does not have when its providers are built). Its pages answer index.html under the
 * strict CSP, its hashed assets are cached for a year, and /admin/api keeps answering JSON.
 * Runs without a browser; the browser tests are in admin-console.browser.e2e-spec.ts.
 */
import { BuiltServer, send } from './utils/built-server.js';
import { freePort } from './utils/net.js';

describe('admin console pages at /admin', () => {
  let server: BuiltServer;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    server = new BuiltServer(port, {});
    await server.start();
  });
  afterAll(() => server.stop());

  it.each([
    '/admin/',
    '/admin/login',
    '/admin/keys/7f1c2a4e-0000-4000-8000-000000000000',
    '/admin/audit?outcome=denied',
  ])('%s answers the app, never cached, under the strict CSP', async (path) => {
    const page = await send(port, 'GET', path);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toContain('no-cache');
    expect(page.body).toContain('<div id="app"></div>');
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    // No inline script or style: the CSP would block them.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=/);
  });

  it('redirects /admin to /admin/, keeping the query', async () => {
    const bare = await send(port, 'GET', '/admin');
    expect(bare.status).toBe(308);
    expect(bare.headers.location).toBe('/admin/');
    const withQuery = await send(port, 'GET', '/admin?next=%2Fkeys');
    expect(withQuery.headers.location).toBe('/admin/?next=%2Fkeys');
  });

  it('serves the hashed bundle for a year, and a missing asset is a 404, not the app', async () => {
    const page = await send(port, 'GET', '/admin/');
    const script = /src="(\/admin\/assets\/main-[A-Z0-9]+\.js)"/.exec(page.body)?.[1];
    const style = /href="(\/admin\/assets\/main-[A-Z0-9]+\.css)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    const js = await send(port, 'GET', script!);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const css = await send(port, 'GET', style!);
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const missing = await send(port, 'GET', '/admin/assets/main-MISSING.js');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/json/);
  });

  it('keeps /admin/api JSON: an unknown route is a JSON 404, and the API never answers the app', async () => {
    for (const path of ['/admin/api/no-such-route', '/admin/api/', '/admin/api/keys/x/y/z']) {
      const res = await send(port, 'GET', path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.body)).toMatchObject({ detail: expect.any(String) });
    }
    const post = await send(port, 'POST', '/admin/keys', { body: {} });
    expect(post.status).toBe(404);
    expect(post.headers['content-type']).toMatch(/^application\/json/);
  });
});
