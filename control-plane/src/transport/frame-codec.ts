/**
 * Framing of the cluster transport:
 *
 *   [u32 big-endian payload length][payload: one msgpack value]
 *
 * Big-endian is network byte order. A payload is never empty (the smallest msgpack value is one
 * byte), so a length of 0 is a protocol error, as is a length over the maximum frame size: the
 * decoder refuses it from the 4 header bytes alone, before buffering anything of the payload.
 *
 * Payloads are plain msgpack maps (no msgpackr record extension): frames must decode without
 * state shared across frames or connections. Binary fields decode as plain `Uint8Array` copies,
 * never as views into a receive buffer that they would keep alive.
 */
import { Packr } from 'msgpackr';
import { ProtocolError } from './errors';

export const FRAME_HEADER_BYTES = 4;
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

const packr = new Packr({ useRecords: false, copyBuffers: true });

/** Throws (a plain Error from msgpackr) only for values msgpack cannot represent. */
export function encodePayload(value: unknown): Buffer {
  return packr.pack(value);
}

export function frameOf(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export function encodeFrame(value: unknown): Buffer {
  return frameOf(encodePayload(value));
}

export function decodePayload(payload: Uint8Array): unknown {
  // A plain Uint8Array view so that msgpackr's binary copies are Uint8Array, not Buffer.
  const view = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  try {
    return packr.unpack(view);
  } catch (err) {
    // Truncated values, unknown extensions, trailing bytes, nesting deep enough to overflow the
    // stack: all the peer's fault, none ours.
    throw new ProtocolError('undecodable', err instanceof Error ? err.message : String(err));
  }
}

/**
 * Turns a byte stream into values, whatever the chunk boundaries: `push` each chunk as it
 * arrives, then `read` until it returns null. After an error the stream has lost its framing and
 * the decoder refuses all further work.
 */
export class FrameDecoder {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  /** Payload length of the frame whose header has been consumed, or null between frames. */
  private pending: number | null = null;
  private failed: ProtocolError | null = null;

  constructor(private maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** A connection raises the limit once the peer has authenticated. */
  setMaxFrameBytes(max: number): void {
    this.maxFrameBytes = max;
  }

  /** Bytes received but not yet decoded. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete value, or null if more bytes are needed; throws ProtocolError. */
  read(): { readonly value: unknown } | null {
    if (this.failed) throw this.failed;
    try {
      if (this.pending === null) {
        if (this.buffered < FRAME_HEADER_BYTES) return null;
        const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length === 0) throw new ProtocolError('empty-frame', 'frame length is 0');
        if (length > this.maxFrameBytes) {
          throw new ProtocolError(
            'frame-too-large',
            `frame of ${length} bytes exceeds the maximum of ${this.maxFrameBytes}`,
          );
        }
        this.pending = length;
      }
      if (this.buffered < this.pending) return null;
      const payload = this.take(this.pending);
      this.pending = null;
      return { value: decodePayload(payload) };
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.failed = err;
        this.chunks.length = 0;
        this.buffered = 0;
      }
      throw err;
    }
  }

  /** Consumes exactly `n` buffered bytes; copies only when they span chunks. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0];
      if (chunk === undefined) throw new Error('FrameDecoder buffer accounting is broken');
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    return out;
  }
}
