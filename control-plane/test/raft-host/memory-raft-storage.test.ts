import { memoryStorage } from './fixtures';
import { describeRaftStorage } from './storage-conformance';

describeRaftStorage('MemoryRaftStorage', memoryStorage);
