/**
 * `GET /calls/:id` shows the ceiling per recipient that applies to the call (`recipientCeiling`):
 * the call's own `recipientCeilingMinor`, else the one configured for its programme
 * (RECIPIENT_CEILINGS), else the configured default (RECIPIENT_CEILING_MINOR), with the currency its
 * awards are counted in and where the number comes from; documented in the OpenAPI document.
 */
import { randomUUID } from 'node:crypto';
import { callDecider, callStreamName, type DraftCallData } from '@app/domain/call';
import { StreamCommandExecutor } from '@app/application/stream-command-executor';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { draftCallBody } from '../support/call-fixtures';
import { humanContext } from './grants-support';

const CONFIGURED = { defaultMinor: 6_000_000, byProgramme: { 'Civic Space 2027': 5_000_000 }, currency: 'EUR' };

describe("a call's ceiling per recipient", () => {
  let t: TestApp;
  let manager: string;
  let applicant: string;
  let auditor: string;

  beforeAll(async () => {
    t = await createTestApp({ now: '2027-01-10T09:00:00Z', config: { recipientCeiling: CONFIGURED } });
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
    applicant = await t.token({ role: 'applicant', id: 'applicant-lead', organisationId: randomUUID() });
    auditor = await t.token({ role: 'auditor', id: 'audrey' });
  });

  afterAll(async () => {
    await t.close();
  });

  const draft = async (overrides: Record<string, unknown>) => (await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(draftCallBody(overrides)).expect(201)).body.id as string;
  /** GET /calls/:id as `token` once the read model has the call. */
  const shown = (id: string, token = manager) =>
    eventually(async () => {
      const res = await t.http.get(`/calls/${id}`).set('Authorization', `Bearer ${token}`);
      return res.status === 200 ? res : undefined;
    });

  it("shows the call's own, the programme's or the default, each with its currency and source, in the live, listed and as-of answers", async () => {
    const byDefault = await draft({ programme: 'Small Grants 2027' });
    const byProgramme = await draft({ programme: '  civic  SPACE 2027 ' });
    const own = await draft({ programme: 'Civic Space 2027', recipientCeilingMinor: 9_000_000 });
    const ownInLbp = await draft({ currency: 'LBP', budgetMinor: 900_000_000, minAwardMinor: 10_000_000, maxAwardMinor: 80_000_000, recipientCeilingMinor: 120_000_000 });
    const expected: Record<string, unknown> = {
      [byDefault]: { amountMinor: 6_000_000, currency: 'EUR', source: 'default' },
      [byProgramme]: { amountMinor: 5_000_000, currency: 'EUR', source: 'programme' },
      [own]: { amountMinor: 9_000_000, currency: 'EUR', source: 'call' },
      [ownInLbp]: { amountMinor: 120_000_000, currency: 'LBP', source: 'call' },
    };
    for (const [id, ceiling] of Object.entries(expected)) {
      const res = await shown(id);
      expect([id, res.body.recipientCeiling]).toEqual([id, ceiling]);
      expect(res.headers.etag).toBe('"0"');
    }
    // Published, an applicant reads it too; the list shows it on each call; and the past answer (the configuration's now).
    await t.http.post(`/calls/${byProgramme}/publish`).set('Authorization', `Bearer ${manager}`).expect(200);
    const published = await eventually(async () => {
      const res = await t.http.get(`/calls/${byProgramme}`).set('Authorization', `Bearer ${applicant}`);
      return res.status === 200 ? res.body : undefined;
    });
    expect(published.recipientCeiling).toEqual(expected[byProgramme]);
    const list = await t.http.get('/calls').query({ limit: 100 }).set('Authorization', `Bearer ${manager}`).expect(200);
    for (const [id, ceiling] of Object.entries(expected)) {
      expect(list.body.items.find((call: { id: string }) => call.id === id)?.recipientCeiling).toEqual(ceiling);
    }
    const asOf = await t.http.get(`/calls/${own}`).query({ asOf: '2099-01-01T00:00:00Z' }).set('Authorization', `Bearer ${auditor}`).expect(200);
    expect(asOf.body.recipientCeiling).toEqual(expected[own]);
  });

  it('shows a call drafted before 2026-12-07 in another currency without its own held to the configured number in its own currency (the number recipientCeilingFor gives the award check)', async () => {
    // What DraftCall recorded before the configured ceiling's currency was checked (the command without it).
    const callId = randomUUID();
    await t.app.get(StreamCommandExecutor).execute(
      callDecider,
      callStreamName(callId),
      callId,
      { type: 'DraftCall', data: { ...(draftCallBody({ currency: 'JPY', budgetMinor: 50_000_000, minAwardMinor: 100_000, maxAwardMinor: 5_000_000 }) as Omit<DraftCallData, 'callId'>), callId }, now: '2027-01-10T09:00:00.000Z' },
      humanContext('alice', 'grant-manager'),
    );
    expect((await shown(callId)).body.recipientCeiling).toEqual({ amountMinor: 6_000_000, currency: 'JPY', source: 'default' });
  });

  it('is documented in the OpenAPI document', async () => {
    const document = (await t.http.get('/docs-json').expect(200)).body;
    const answer = document.paths['/calls/{id}'].get.responses['200'].content['application/json'].schema;
    const callView = document.components.schemas[answer.$ref.split('/').pop()];
    expect(callView.required).toContain('recipientCeiling');
    const ceiling = document.components.schemas[callView.properties.recipientCeiling.$ref?.split('/').pop() ?? callView.properties.recipientCeiling.allOf[0].$ref.split('/').pop()];
    expect(Object.keys(ceiling.properties).sort()).toEqual(['amountMinor', 'currency', 'source']);
    expect(ceiling.properties.source.enum).toEqual(['call', 'programme', 'default']);
    expect(ceiling.required.sort()).toEqual(['amountMinor', 'currency', 'source']);
  });
});
