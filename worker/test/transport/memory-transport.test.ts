import { MemoryTransport } from '../../src/transport/memory/memory-transport';
import { transportConformance } from './conformance';

describe('memory event transport', () => {
  transportConformance({
    make: ({ backlogBound }) => Promise.resolve(new MemoryTransport(backlogBound)),
  });
});
