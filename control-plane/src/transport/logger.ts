/** The logging the transport needs; a pino logger satisfies it. */
export interface TransportLogger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

const ignore = (): void => {};

export const SILENT_LOGGER: TransportLogger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
};
