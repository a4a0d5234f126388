/**
 * What the fault scenarios send: call bodies whose submission window is open NOW (the processes run
 * on the real clock), tokens signed with the development defaults the processes use when
 * NODE_ENV=test, and the bookkeeping of acknowledged changes.
 */
import { randomUUID } from 'node:crypto';
import { type Actor, authConfigFromEnv, signToken } from '@app/platform';
import { draftCallBody } from '../../support/call-fixtures';

const DAY = 24 * 60 * 60 * 1000;

export function callBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Date.now();
  return draftCallBody({
    title: `Small grants for issue-based networks ${randomUUID().slice(0, 8)}`,
    budgetMinor: 20_000_000,
    minAwardMinor: 500_000,
    minPartners: 2,
    criteria: [
      { id: 'relevance', name: 'Relevance', weight: 60, maxScore: 10 },
      { id: 'network', name: 'Network', weight: 40, maxScore: 10 },
    ],
    reviewsRequired: 1,
    opensAt: new Date(now - DAY).toISOString(),
    closesAt: new Date(now + 365 * DAY).toISOString(),
    ...overrides,
  });
}

/** A later deadline for POST /calls/:id/deadline-extensions (each extension one day later than the last). */
export function extensionBody(extension: number): Record<string, unknown> {
  return { newClosesAt: new Date(Date.now() + (366 + extension) * DAY).toISOString(), reason: `Partners asked for more time (${extension})` };
}

/** A bearer token as the processes accept it (development secret, issuer and audience). */
export async function bearer(actor: Partial<Actor> & Pick<Actor, 'role'>): Promise<Record<string, string>> {
  const token = await signToken({ id: actor.id ?? `${actor.role}-user`, role: actor.role, organisationId: actor.organisationId }, authConfigFromEnv({ NODE_ENV: 'test' }), '2h');
  return { authorization: `Bearer ${token}` };
}

/** The highest acknowledged version per call id: what the read model must show at least. */
export class AcknowledgedChanges {
  readonly versions = new Map<string, number>();
  /** When each id's latest acknowledgement arrived (ms since epoch). */
  readonly at = new Map<string, number>();
  count = 0;

  record(id: string, version: number): void {
    this.count += 1;
    if ((this.versions.get(id) ?? -1) < version) {
      this.versions.set(id, version);
      this.at.set(id, Date.now());
    }
  }
}
