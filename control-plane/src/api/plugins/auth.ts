/**
 * `--api-token` (CONTRACT §2): every route but `/health/*` needs `Authorization: Bearer <token>`.
 * Probes must work without credentials; everything else, including the OpenAPI document, metrics
 * and unknown paths, does not answer without them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { TremorError } from '../../errors';
import type { ApiInstance, PluginOptions } from '../deps';
import { globalPlugin } from '../global-plugin';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export const authPlugin = globalPlugin(
  (app: ApiInstance, { deps }: PluginOptions, done: (err?: Error) => void) => {
    const token = deps.apiToken;
    if (token !== null) guard(app, digest(token));
    done();
  },
);

function guard(app: ApiInstance, expected: Buffer): void {
  app.addHook('onRequest', (request, _reply, next) => {
    // The matched route, not the raw path, decides: `/health/../v1/kv/x` must not pass.
    if (request.routeOptions.url?.startsWith('/health/') === true) {
      next();
      return;
    }
    const presented = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (presented === undefined) {
      next(
        new TremorError('TREMOR_UNAUTHORIZED', 'this API needs `Authorization: Bearer <token>`'),
      );
    } else if (!timingSafeEqual(digest(presented), expected)) {
      // Comparing digests keeps the comparison constant-time even when the lengths differ.
      next(new TremorError('TREMOR_UNAUTHORIZED', 'the API token is not valid'));
    } else {
      next();
    }
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
