import type { EventStore, ReadAllOptions, RecordedEvent } from '@app/event-store';
import { PlainEventCodec, SchemaRegistry } from '../../event-codec';
import { PersonalDataPolicy } from '../../personal-data/personal-data.policy';
import { AuditHistory, LOG_SCAN_BUDGET } from './audit-history';

const position = (n: number) => `${String(n).padStart(20, '0')}-${String(n).padStart(20, '0')}`;

function event(n: number, actorId: string): RecordedEvent {
  const recordedAt = new Date(Date.UTC(2027, 0, 1) + n * 1000);
  return {
    streamId: `call-00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, streamVersion: 0, position: position(n), eventId: `e${n}`,
    type: 'CallPublished', schemaVersion: 1, data: { n },
    metadata: { eventId: `e${n}`, actorId, actorRole: 'grant-manager', correlationId: 'c', causationId: 'c', recordedAt: recordedAt.toISOString() },
    recordedAt,
  };
}

/** Just enough of the port: readAll over an in-memory log, counting the events it hands out. */
function memoryStore(log: RecordedEvent[]) {
  const store = {
    served: 0,
    async readAll(options: ReadAllOptions = {}) {
      const start = options.after === undefined ? 0 : log.findIndex((e) => e.position > options.after!);
      const page = (start < 0 ? [] : log.slice(start)).slice(0, options.maxCount ?? log.length);
      store.served += page.length;
      return page;
    },
  };
  return store;
}

describe('the audit log is scanned in bounded steps', () => {
  const total = LOG_SCAN_BUDGET * 2 + 10;
  // One event by "mallory", near the end of a long log of "alice".
  const log = Array.from({ length: total }, (_, n) => event(n + 1, n + 1 === total - 5 ? 'mallory' : 'alice'));

  const historyOver = (store: ReturnType<typeof memoryStore>) =>
    new AuditHistory(store as unknown as EventStore, new PlainEventCodec(new SchemaRegistry()), new PersonalDataPolicy());

  it('examines at most the scan budget per request and hands back a cursor to continue', async () => {
    const store = memoryStore(log);
    const history = historyOver(store);
    const first = await history.log({ actorId: 'mallory', limit: 10 });
    expect(first.items).toEqual([]);
    expect(first.scanned).toBe(LOG_SCAN_BUDGET);
    expect(store.served).toBeLessThanOrEqual(LOG_SCAN_BUDGET);
    expect(first.next).toBe(position(LOG_SCAN_BUDGET));

    const pages = [first];
    while (pages[pages.length - 1].next !== null) pages.push(await history.log({ actorId: 'mallory', limit: 10, after: pages[pages.length - 1].next! }));
    expect(pages.every((page) => page.scanned <= LOG_SCAN_BUDGET)).toBe(true);
    expect(pages.flatMap((page) => page.items.map((item) => item.eventId))).toEqual([`e${total - 5}`]);
  });

  it('stops as soon as a page is full, with the cursor at the last event it returned', async () => {
    const history = historyOver(memoryStore(log));
    const page = await history.log({ actorId: 'alice', limit: 3, after: position(10) });
    expect(page.items.map((item) => item.eventId)).toEqual(['e11', 'e12', 'e13']);
    expect(page.next).toBe(position(13));
  });

  it('filters by recorded time, both bounds inclusive', async () => {
    const history = historyOver(memoryStore(log.slice(0, 20)));
    const page = await history.log({ from: log[4].recordedAt, to: log[6].recordedAt, limit: 100 });
    expect(page.items.map((item) => item.eventId)).toEqual(['e5', 'e6', 'e7']);
    expect(page.next).toBeNull();
  });
});
