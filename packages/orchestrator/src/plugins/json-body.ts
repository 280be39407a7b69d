import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { ApiError } from './errors.js';

/**
 * JSON bodies, parsed with prototype-poisoning protection (`__proto__`/`constructor` keys are a
 * 400). An empty body is "no body" rather than an error, so `curl -X POST -H 'content-type:
 * application/json' .../cancel` works.
 */
export function registerJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, sjson.parse(text, { protoAction: 'error', constructorAction: 'error' }));
    } catch (e: unknown) {
      done(new ApiError('INVALID_REQUEST', `body is not valid JSON: ${e instanceof Error ? e.message : 'parse error'}`), undefined);
    }
  });
}
