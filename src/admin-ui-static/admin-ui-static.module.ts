import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';

/** Where the console's public path starts; its API lives under `${ADMIN_UI_PATH}/api`. */
export const ADMIN_UI_PATH = '/admin';

/**
 * The built console (`npm run build` bundles admin-ui/ into dist/admin-ui). From dist/ it sits next
 * to this module's folder; from src/ (the e2e tests run the TypeScript) it is the build's copy.
 */
export function adminUiRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const besideDist = join(here, '..', 'admin-ui');
  return existsSync(join(besideDist, 'index.html')) ? besideDist : join(here, '..', '..', 'dist', 'admin-ui');
}

/**
 * Serves the console's single-page app at /admin: its hashed assets for a year, and index.html
 * (never cached) for every other GET under /admin, so client routes such as /admin/keys/… load on a
 * reload. /admin/api/* and /admin/assets/* are excluded from that fallback: an unknown API path or
 * a missing asset stays a JSON 404 from Nest. Security headers (CSP) are set for every response by
 * the console's own middleware.
 */
@Module({
  imports: [
    ServeStaticModule.forRoot({
      rootPath: adminUiRoot(),
      serveRoot: ADMIN_UI_PATH,
      exclude: [`${ADMIN_UI_PATH}/api/{*path}`, `${ADMIN_UI_PATH}/assets/{*path}`],
      serveStaticOptions: {
        index: false,
        redirect: false,
        dotfiles: 'ignore',
        setHeaders: (res: { setHeader(name: string, value: string): void }, path: string) => {
          res.setHeader(
            'Cache-Control',
            path.endsWith('index.html') ? 'no-cache, no-store, must-revalidate' : 'public, max-age=31536000, immutable',
          );
        },
      },
    }),
  ],
})
export class AdminUiStaticModule implements NestModule {
  /** `/admin` → `/admin/` (the app's relative paths and the static root both hang off the slash). */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply((req: { originalUrl: string }, res: { redirect(status: number, url: string): void }, next: () => void) => {
        const [path, query] = req.originalUrl.split(/\?(.*)/s, 2);
        if (path === ADMIN_UI_PATH) return res.redirect(308, `${ADMIN_UI_PATH}/${query ? `?${query}` : ''}`);
        next();
      })
      .forRoutes({ path: ADMIN_UI_PATH.slice(1), method: RequestMethod.GET });
  }
}
