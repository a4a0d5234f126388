import { Logger } from '@nestjs/common';

/** A log line's fields: ids, rule codes, counts, positions. Never personal data, tokens or bodies. */
export type LogFields = Record<string, unknown>;

/**
 * The one logger interface of the code that follows the log or talks to the outside (log-consumer
 * runtime, projections, process managers, webhook fan-out and delivery, CLIs): a message and
 * structured fields, written as one JSON line. Depend on this, not on Nest's or pino's types, so a
 * test can pass a recording double and a CLI a console writer.
 */
export interface StructuredLogger {
  log(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A StructuredLogger writing through Nest's Logger (pino in the apps) under `name`: `{ msg, ...fields }`. */
export function nestStructuredLogger(name: string): StructuredLogger {
  const nest = new Logger(name);
  return {
    log: (message, fields) => nest.log({ msg: message, ...fields }),
    error: (message, fields) => nest.error({ msg: message, ...fields }),
  };
}
