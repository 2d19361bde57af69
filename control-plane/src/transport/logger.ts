/** The transport logs through the control plane's `Logger` (a pino logger satisfies it). */
export { SILENT_LOGGER, type Logger as TransportLogger } from '../logger';
