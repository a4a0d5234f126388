// The `esdb` Jest project: test apps keep their event log in EventStoreDB (see test/support/app.ts).
process.env.EVENT_STORE = 'esdb';
