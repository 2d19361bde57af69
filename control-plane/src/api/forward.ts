/**
 * Forwarding to the Raft leader (CONTRACT §3): a request that changes cluster state, or reads it
 * linearizably, on a node that is not the leader is sent on to the leader's API and answered as
 * the leader answers it. The forwarded request carries `x-tremor-forwarded`, and a node never
 * forwards such a request again: if the leader it was sent to is no longer the leader, the cluster
 * is mid-election and the client is told to retry (503) rather than bounced around.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TremorError } from '../errors';
import type { Forwarder, ForwardRequest, ForwardResponse } from './deps';

export const FORWARDED_HEADER = 'x-tremor-forwarded';
export const LEADER_HEADER = 'x-tremor-leader';

/** Headers of the leader's answer that mean something to the client. */
const PASSED_BACK = ['content-type', 'retry-after', 'location', 'www-authenticate'] as const;

export function wasForwarded(request: FastifyRequest): boolean {
  return request.headers[FORWARDED_HEADER] !== undefined;
}

export interface ForwardContext {
  readonly nodeId: string;
  readonly forward: Forwarder;
  readonly timeoutMs: number;
}

export async function forwardToLeader(
  ctx: ForwardContext,
  leader: { readonly id: string; readonly api: string },
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const headers: Record<string, string> = { [FORWARDED_HEADER]: ctx.nodeId };
  const authorization = request.headers.authorization;
  if (authorization !== undefined) headers.authorization = authorization;
  // The body was parsed here (JSON or YAML) and is sent on as JSON, which the leader's routes
  // all accept; the content type says what is sent, not what this node received.
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const forwarded: ForwardRequest = {
    method: request.method,
    url: request.url,
    headers,
    ...(body === undefined ? {} : { body }),
    timeoutMs: ctx.timeoutMs,
  };
  let answer: ForwardResponse;
  try {
    answer = await ctx.forward(leader.api, forwarded);
  } catch (err) {
    const timedOut = (err as { name?: unknown } | null)?.name === 'TimeoutError';
    throw new TremorError(
      'TREMOR_LEADER_UNREACHABLE',
      timedOut
        ? `the leader ${leader.id} did not answer within ${ctx.timeoutMs} ms; the outcome is unknown`
        : `the leader ${leader.id} at ${leader.api} cannot be reached: ${(err as Error).message}`,
      [{ leader: leader.id, api: leader.api }],
    );
  }
  reply.code(answer.status);
  for (const name of PASSED_BACK) {
    const value = answer.headers[name];
    if (value !== undefined) reply.header(name, value);
  }
  reply.header(LEADER_HEADER, leader.id);
  return reply.send(answer.body);
}

/** The default forwarder: `fetch` with a deadline. Redirects are not followed. */
export const fetchForwarder: Forwarder = async (leaderApi, request) => {
  const response = await fetch(`${leaderApi.replace(/\/+$/, '')}${request.url}`, {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    redirect: 'manual',
    signal: AbortSignal.timeout(request.timeoutMs),
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, headers, body: await response.text() };
};
