import { upcaster, type EventUpcaster } from '../shared/upcaster';
import type { GrantAgreementSignedData, ReportSubmittedData } from './grant.events';

/** ReportSubmitted as stored at schema version 1: documents named by file name and hash, never stored. */
export interface ReportSubmittedDataV1 {
  grantId: string;
  reportId: string;
  summary: string;
  documents?: { name: string; sha256: string }[];
  submittedAt: string;
}

/** GrantAgreementSigned as stored at schema version 1: no documents. */
export type GrantAgreementSignedDataV1 = Omit<GrantAgreementSignedData, 'documents'>;

/** Older stored shapes of grant events, brought up one version at a time on read. */
export const grantEventUpcasters: readonly EventUpcaster[] = [
  // v1 → v2: reports now refer to stored documents by id; the files a v1 report named were never
  // stored, so they keep their name and hash and have no document id.
  upcaster<ReportSubmittedDataV1, ReportSubmittedData>('ReportSubmitted', 1, (data) => ({
    ...data,
    ...(data.documents === undefined ? {} : { documents: data.documents.map(({ name, sha256 }) => ({ sha256, name })) }),
  })),
  // v1 → v2: the agreement may now name its stored documents; a v1 agreement has none.
  upcaster<GrantAgreementSignedDataV1, GrantAgreementSignedData>('GrantAgreementSigned', 1, (data) => ({ ...data })),
];
