import type { RecordedEvent } from '@app/event-store';
import { upcaster } from '@app/domain/shared/upcaster';
import { PlainEventCodec, SchemaRegistry } from './event-codec';
import { schemaRegistry } from './event-store.module';

function stored(type: string, schemaVersion: number, data: unknown): RecordedEvent {
  return {
    streamId: 'thing-1',
    streamVersion: 3,
    position: '7',
    eventId: '4e1f6c1e-8d4a-4f51-9a0e-0d6f3c0b9a11',
    type,
    schemaVersion,
    data,
    metadata: { eventId: '4e1f6c1e-8d4a-4f51-9a0e-0d6f3c0b9a11', actorId: 'applicant-rania', actorRole: 'applicant', correlationId: 'c', causationId: 'c', recordedAt: '2027-02-01T10:00:00.000Z' },
    recordedAt: new Date('2027-02-01T10:00:00.000Z'),
  };
}

describe('SchemaRegistry upcasting', () => {
  // A made-up type that went through two shape changes: v1 { name }, v2 { fullName }, v3 { given, family, by }.
  const registry = () =>
    new SchemaRegistry().register({ PersonNamed: 3, Unchanged: 1 }, [
      upcaster<{ name: string }, { fullName: string }>('PersonNamed', 1, (d) => ({ fullName: d.name })),
      upcaster<{ fullName: string }, { given: string; family: string; by: string }>('PersonNamed', 2, (d, facts) => {
        const [given, ...family] = d.fullName.split(' ');
        return { given, family: family.join(' '), by: facts.actorId };
      }),
    ]);

  it('chains upcasters from the stored version to the current one, without touching the stored event', () => {
    const v1 = stored('PersonNamed', 1, { name: 'Rania Khoury' });
    const decoded = registry().upcast(v1);
    expect(decoded).toEqual({ ...v1, schemaVersion: 3, data: { given: 'Rania', family: 'Khoury', by: 'applicant-rania' } });
    expect(v1).toEqual(stored('PersonNamed', 1, { name: 'Rania Khoury' }));
    expect(registry().upcast(stored('PersonNamed', 2, { fullName: 'Rania Khoury' })).data).toEqual({ given: 'Rania', family: 'Khoury', by: 'applicant-rania' });
  });

  it('returns an event already at the current version, or of a type it does not know, as it is', () => {
    const current = stored('PersonNamed', 3, { given: 'A', family: 'B', by: 'x' });
    expect(registry().upcast(current)).toBe(current);
    const unknown = stored('Case.Noted', 1, {});
    expect(registry().upcast(unknown)).toBe(unknown);
  });

  it('refuses an event stored by a newer application instead of misreading it', () => {
    expect(() => registry().upcast(stored('Unchanged', 2, {}))).toThrow(/schema version 2, newer than this application reads \(1\)/);
  });

  it('refuses at registration a version bump without an upcaster, a step beyond the current version, and a step twice', () => {
    expect(() => new SchemaRegistry().register({ PersonNamed: 2 })).toThrow(/PersonNamed is at schema version 2 but has no upcaster from version 1/);
    expect(() => new SchemaRegistry().register({ PersonNamed: 2 }, [upcaster('PersonNamed', 2, (d) => d), upcaster('PersonNamed', 1, (d) => d)])).toThrow(/current version is 2/);
    const twice = [upcaster('PersonNamed', 1, (d) => d), upcaster('PersonNamed', 1, (d) => d)];
    expect(() => new SchemaRegistry().register({ PersonNamed: 2 }, twice)).toThrow(/Two upcasters/);
    expect(() => new SchemaRegistry().register({}, [upcaster('Nobody', 1, (d) => d)])).toThrow(/unknown event type Nobody/);
  });

  it('the codec decodes through the registry', async () => {
    const decoded = await new PlainEventCodec(registry()).decode(stored('PersonNamed', 1, { name: 'Rania Khoury' }));
    expect(decoded.schemaVersion).toBe(3);
  });
});

describe("the application's registry", () => {
  it('reads a ProposalWithdrawn stored at v1 as v2: who withdrew comes from the metadata the log kept', () => {
    const v1 = stored('ProposalWithdrawn', 1, { proposalId: 'p-1', reason: 'Partner lost its premises', withdrawnAt: '2027-02-01T10:00:00.000Z' });
    expect(schemaRegistry().upcast(v1)).toMatchObject({
      schemaVersion: 2,
      data: { proposalId: 'p-1', reason: 'Partner lost its premises', withdrawnBy: 'applicant-rania', withdrawnAt: '2027-02-01T10:00:00.000Z' },
    });
  });
});
