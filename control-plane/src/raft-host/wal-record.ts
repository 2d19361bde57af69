/**
 * The records of the write-ahead log, each one msgpack payload inside a CRC frame (frame.ts).
 * Every payload is a map tagged by `k`:
 *
 * | k       | fields                                  | replay                                          |
 * | ------- | --------------------------------------- | ----------------------------------------------- |
 * | `head`  | `v`, `term`, `vote`, `commit`, `snap`   | first record of every segment: the hard state   |
 * |         | (`[index, term]` or null)               | and snapshot mark when the segment was cut      |
 * | `ents`  | `first`, `ents`: `[term, type, data][]` | append entries `first`, `first + 1`, ...        |
 * | `hard`  | `term`, `vote`, `commit`                | the hard state is now this                      |
 * | `trunc` | `from`                                  | drop stored entries with index >= `from`        |
 * | `snap`  | `index`, `term`                         | the snapshot file `<index>-<term>.snap` is      |
 * |         |                                         | durable; drop stored entries <= `index`         |
 *
 * The head makes every segment self-sufficient for the hard state and the snapshot mark, so
 * whole segments can be deleted from the front without losing the vote. Entries records only
 * append: a conflict is an explicit `trunc` before them, so replay can check that each batch
 * continues the log and a misplaced batch shows up as corruption instead of a silent hole.
 * Entry indexes are implicit (`first` plus position) because the core only ever hands over
 * contiguous runs. `type` is 0 for `normal` and 1 for `conf`.
 */
import { Packr } from 'msgpackr';
import type { Entry, EntryType, HardState } from '../raft/types';

export const WAL_FORMAT_VERSION = 1;

export interface SnapshotMark {
  readonly index: number;
  readonly term: number;
}

export type WalRecord =
  | { readonly kind: 'head'; readonly hardState: HardState; readonly mark: SnapshotMark | null }
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] }
  | { readonly kind: 'hard'; readonly hardState: HardState }
  | { readonly kind: 'truncate'; readonly from: number }
  | { readonly kind: 'snapshot'; readonly mark: SnapshotMark };

// Plain msgpack maps, without msgpackr's record extension: the format must stay readable by any
// msgpack decoder and by future versions of this code without shared structure definitions.
const packr = new Packr({ useRecords: false });

const ENTRY_TYPES: readonly EntryType[] = ['normal', 'conf'];

export function encodeWalRecord(record: WalRecord): Buffer {
  switch (record.kind) {
    case 'head':
      return packr.pack({
        k: 'head',
        v: WAL_FORMAT_VERSION,
        ...hardFields(record.hardState),
        snap: record.mark ? [record.mark.index, record.mark.term] : null,
      });
    case 'entries': {
      const first = record.entries[0];
      if (first === undefined) throw new Error('an entries record is never empty');
      return packr.pack({
        k: 'ents',
        first: first.index,
        ents: record.entries.map((e) => [e.term, ENTRY_TYPES.indexOf(e.type), e.data]),
      });
    }
    case 'hard':
      return packr.pack({ k: 'hard', ...hardFields(record.hardState) });
    case 'truncate':
      return packr.pack({ k: 'trunc', from: record.from });
    case 'snapshot':
      return packr.pack({ k: 'snap', index: record.mark.index, term: record.mark.term });
  }
}

/** Throws a plain Error with the reason; the caller knows the file and offset to report. */
export function decodeWalRecord(payload: Uint8Array): WalRecord {
  const raw: unknown = packr.unpack(payload);
  if (!isMap(raw)) throw new Error('record is not a map');
  switch (raw.k) {
    case 'head': {
      if (raw.v !== WAL_FORMAT_VERSION) throw new Error(`unknown WAL format version ${str(raw.v)}`);
      const snap = raw.snap;
      let mark: SnapshotMark | null = null;
      if (snap !== null) {
        if (!Array.isArray(snap) || snap.length !== 2) throw new Error('head.snap is malformed');
        mark = { index: index(snap[0], 'head.snap index'), term: index(snap[1], 'head.snap term') };
      }
      return { kind: 'head', hardState: decodeHard(raw), mark };
    }
    case 'ents': {
      const first = index(raw.first, 'ents.first');
      if (!Array.isArray(raw.ents) || raw.ents.length === 0) throw new Error('ents is malformed');
      const entries = raw.ents.map((e: unknown, i): Entry => {
        if (!Array.isArray(e) || e.length !== 3) throw new Error(`entry ${first + i} is malformed`);
        const [term, typeCode, data] = e as unknown[];
        const type = typeof typeCode === 'number' ? ENTRY_TYPES[typeCode] : undefined;
        if (type === undefined) throw new Error(`entry ${first + i} has unknown type`);
        if (!(data instanceof Uint8Array)) throw new Error(`entry ${first + i} data is not bytes`);
        // A copy, not msgpackr's Buffer view: the view would pin the whole segment read in memory
        // for as long as the entry lives, and callers expect a plain Uint8Array.
        return {
          index: first + i,
          term: index(term, 'entry term'),
          type,
          data: new Uint8Array(data),
        };
      });
      return { kind: 'entries', entries };
    }
    case 'hard':
      return { kind: 'hard', hardState: decodeHard(raw) };
    case 'trunc':
      return { kind: 'truncate', from: index(raw.from, 'trunc.from') };
    case 'snap':
      return {
        kind: 'snapshot',
        mark: { index: index(raw.index, 'snap.index'), term: index(raw.term, 'snap.term') },
      };
    default:
      throw new Error(`unknown record kind ${str(raw.k)}`);
  }
}

function hardFields(hs: HardState): { term: number; vote: string | null; commit: number } {
  return { term: hs.term, vote: hs.vote, commit: hs.commit };
}

function decodeHard(raw: Record<string, unknown>): HardState {
  const vote = raw.vote;
  if (vote !== null && typeof vote !== 'string') throw new Error('hard state vote is malformed');
  return { term: index(raw.term, 'term'), vote, commit: index(raw.commit, 'commit') };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function index(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new Error(`${what} is not a non-negative integer`);
  }
  return v;
}

function str(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : typeof v;
}
