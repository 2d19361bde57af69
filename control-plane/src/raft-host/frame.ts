/**
 * The framing shared by WAL segments and snapshot files:
 *
 *   [u32 LE payload length][u32 LE crc32(payload)][payload]
 *
 * The CRC is what lets a restart tell a record it may trust from one a crash cut short or a disk
 * damaged. Payloads are never empty, so a length of 0 is never valid: a zero-filled tail (a file
 * extended by a crash before its data blocks were written) reads as a bad frame, not as records.
 */
import { crc32 } from 'node:zlib';

export const FRAME_HEADER_BYTES = 8;

export function frame(payload: Uint8Array): Buffer {
  if (payload.length === 0) throw new Error('a frame payload is never empty');
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export interface Frame {
  /** Byte offset of the frame's header in the scanned buffer. */
  readonly offset: number;
  /** A view into the scanned buffer, not a copy. */
  readonly payload: Buffer;
}

/**
 * Why scanning stopped before the end of the buffer:
 * - `torn`: nothing after the first bad frame but a cut-short write could explain it (the frame runs
 *   past the end, or it is the last frame, or only zero bytes follow it);
 * - `corrupt`: bytes follow the bad frame, so it was once written whole and has since been damaged.
 */
export type ScanStop =
  | { readonly kind: 'end' }
  | { readonly kind: 'torn' | 'corrupt'; readonly offset: number; readonly reason: string };

export interface ScanResult {
  readonly frames: readonly Frame[];
  /** Where the last good frame ends: the length to truncate a torn file to. */
  readonly validEnd: number;
  readonly stop: ScanStop;
}

export function scanFrames(buf: Buffer): ScanResult {
  const frames: Frame[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const bad = (reason: string, frameEnd: number): ScanResult => {
      const torn = frameEnd >= buf.length || isZero(buf, frameEnd);
      return {
        frames,
        validEnd: offset,
        stop: { kind: torn ? 'torn' : 'corrupt', offset, reason },
      };
    };
    if (buf.length - offset < FRAME_HEADER_BYTES) {
      return bad('incomplete frame header', buf.length);
    }
    const length = buf.readUInt32LE(offset);
    const end = offset + FRAME_HEADER_BYTES + length;
    if (length === 0) {
      return bad('zero payload length', offset);
    }
    if (end > buf.length) {
      return bad(`payload of ${length} bytes runs past the end of the file`, end);
    }
    const payload = buf.subarray(offset + FRAME_HEADER_BYTES, end);
    if (crc32(payload) !== buf.readUInt32LE(offset + 4)) {
      return bad('CRC mismatch', end);
    }
    frames.push({ offset, payload });
    offset = end;
  }
  return { frames, validEnd: offset, stop: { kind: 'end' } };
}

function isZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}
