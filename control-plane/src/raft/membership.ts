/**
 * Membership: one server changes at a time (thesis §4.1), and every `conf` entry carries the whole
 * resulting membership, so a node's membership is simply the last `conf` entry in its log (or its
 * snapshot's). It takes effect as soon as the entry is appended, committed or not, and reverts if
 * the entry is truncated away.
 */
import type { ConfState, NodeId } from './types';

export type ConfChange =
  | { readonly type: 'add-voter'; readonly node: NodeId }
  | { readonly type: 'add-learner'; readonly node: NodeId }
  | { readonly type: 'remove'; readonly node: NodeId };

/** Why a change cannot be made to a membership; `null` when it can. */
export function confChangeProblem(conf: ConfState, cc: ConfChange): string | null {
  const voter = conf.voters.includes(cc.node);
  const learner = conf.learners.includes(cc.node);
  switch (cc.type) {
    case 'add-voter':
      return voter ? `${cc.node} is already a voter` : null;
    case 'add-learner':
      if (voter) return `${cc.node} is a voter; remove it first to make it a learner`;
      return learner ? `${cc.node} is already a learner` : null;
    case 'remove':
      if (!voter && !learner) return `${cc.node} is not a member`;
      if (voter && conf.voters.length === 1) return `${cc.node} is the last voter`;
      return null;
  }
}

export function applyConfChange(conf: ConfState, cc: ConfChange): ConfState {
  const voters = conf.voters.filter((n) => n !== cc.node);
  const learners = conf.learners.filter((n) => n !== cc.node);
  if (cc.type === 'add-voter') voters.push(cc.node);
  if (cc.type === 'add-learner') learners.push(cc.node);
  return { voters: voters.sort(), learners: learners.sort() };
}

export const EMPTY_CONF: ConfState = { voters: [], learners: [] };

export function isMember(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}

interface ConfEntryData {
  readonly conf: ConfState;
  readonly change: ConfChange | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeConfEntry(conf: ConfState, change: ConfChange | null): Uint8Array {
  return encoder.encode(JSON.stringify({ conf, change } satisfies ConfEntryData));
}

export function decodeConfEntry(data: Uint8Array): ConfEntryData {
  return JSON.parse(decoder.decode(data)) as ConfEntryData;
}

/** The highest index that a majority of `voters` have; voters unknown to `matchOf` count as 0. */
export function quorumIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[Math.floor(voters.length / 2)] ?? 0;
}

export type VoteResult = 'won' | 'lost' | 'pending';

export function voteResult(
  voters: readonly NodeId[],
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  const majority = Math.floor(voters.length / 2) + 1;
  let granted = 0;
  let rejected = 0;
  for (const v of voters) {
    const vote = votes.get(v);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  if (granted >= majority) return 'won';
  if (voters.length - rejected < majority) return 'lost';
  return 'pending';
}
