/**
 * Most plugins of the app are encapsulated: their hooks, parsers and decorations stay inside
 * them. The cross-cutting ones (error shape, auth, metrics, OpenAPI collection) must apply to
 * every route, so they opt out with fastify's `skip-override` marker, which is all that
 * fastify-plugin would add here.
 */
export function globalPlugin<P extends object>(plugin: P): P {
  Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true });
  return plugin;
}
