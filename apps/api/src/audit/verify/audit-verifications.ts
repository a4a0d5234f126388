import { type BeforeApplicationShutdown, Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EVENT_STORE, type EventStore, type EventStoreSelection } from '@app/event-store';
import { typeormAuditDb } from '@app/application/audit/audit-db';
import type { AuditVerificationKey } from '@app/application/audit/audit-signing-key';
import { type AuditVerifyReport, verifyAuditLog } from '@app/application/audit/verify';

export const AUDIT_VERIFICATION_KEY = Symbol('AUDIT_VERIFICATION_KEY');
export const AUDIT_VERIFY_OPTIONS = Symbol('AUDIT_VERIFY_OPTIONS');

export interface AuditVerifyOptions {
  /** Worker threads that read and hash the log, and how they open the event store; absent: the API's own thread reads it. */
  readers?: { store: EventStoreSelection; threads: number };
}

/**
 * The checks `GET /audit/verify` runs: one at a time. A request that comes while a check runs is
 * answered with that check's report, so that auditors asking together cost one pass over the log,
 * not one each. The log is read and hashed in reader threads when configured (the event loop only
 * runs the ordered checks), and a check still running at shutdown is stopped: its requests get 503
 * with Retry-After, and its threads do not keep the process alive.
 */
@Injectable()
export class AuditVerifications implements BeforeApplicationShutdown {
  private running: Promise<AuditVerifyReport> | undefined;
  private readonly stopping = new AbortController();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly dataSource: DataSource,
    @Inject(AUDIT_VERIFICATION_KEY) private readonly key: AuditVerificationKey,
    @Inject(AUDIT_VERIFY_OPTIONS) private readonly options: AuditVerifyOptions,
  ) {}

  verify(): Promise<AuditVerifyReport> {
    if (this.stopping.signal.aborted) return Promise.reject(shuttingDown());
    if (this.running === undefined) {
      const run = verifyAuditLog({
        store: this.store,
        db: typeormAuditDb(this.dataSource),
        key: this.key,
        signal: this.stopping.signal,
        ...(this.options.readers ? { readers: this.options.readers } : {}),
      }).finally(() => {
        if (this.running === run) this.running = undefined;
      });
      this.running = run;
    }
    return this.running;
  }

  /** Before the pools close: a check still running stops between two pages. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort(shuttingDown());
    await this.running?.catch(() => undefined);
  }
}

function shuttingDown(): ServiceUnavailableException {
  return new ServiceUnavailableException('The server is shutting down: verify again in a moment');
}
