export { buildApp } from './app';
export {
  DEFAULT_BODY_LIMIT,
  type ApiDeps,
  type ApiInstance,
  type Forwarder,
  type ForwardRequest,
  type ForwardResponse,
  type IngestEvent,
  type IngestSink,
  type NodeRole,
} from './deps';
export { fetchForwarder, FORWARDED_HEADER, LEADER_HEADER } from './forward';
