/**
 * `x-tremor-leader` names the leader on every answer the leader gives (forwarded answers get it
 * from plugins/errors.ts), so a client can send its next writes there directly.
 */
import type { ApiInstance, PluginOptions } from '../deps';
import { LEADER_HEADER } from '../forward';
import { globalPlugin } from '../global-plugin';

export const leaderHeaderPlugin = globalPlugin(
  (app: ApiInstance, { deps }: PluginOptions, done: (err?: Error) => void) => {
    const { service } = deps;
    app.addHook('onSend', (_request, reply, payload, next) => {
      if (!reply.hasHeader(LEADER_HEADER)) {
        const leader = service.status().leader;
        if (leader !== null && leader === service.memberId) reply.header(LEADER_HEADER, leader);
      }
      next(null, payload);
    });
    done();
  },
);
