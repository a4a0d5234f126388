import { describeError, isTransientError } from './transient-errors';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isTransientError: what a log consumer retries for ever without counting it against the event', () => {
  it.each([
    ['an outage (connection refused)', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['admin shutdown during a restart', pgError('57P01', 'terminating connection due to administrator command')],
    ['a pool with no free connection in time', new Error('timeout exceeded when trying to connect')],
    ['a serialization failure', pgError('40001')],
    ['a deadlock', pgError('40P01')],
    ['a lock not available', pgError('55P03')],
    ['a connection ended under a query, wrapped by TypeORM', Object.assign(new Error('Query failed'), { driverError: new Error('terminating connection because of crash of another server process') })],
    ['TypeORM’s released query runner', Object.assign(new Error('Query runner already released. Cannot run queries anymore.'), { name: 'QueryRunnerAlreadyReleasedError' })],
    ['TypeORM’s lost transaction connection (seen in the fault suite during a PostgreSQL restart)', Object.assign(new Error('Database connection provided by a query runner was already released, cannot continue to use its querying methods anymore.'), { name: 'QueryRunnerProviderAlreadyReleasedError' })],
  ])('%s', (_case, error) => {
    expect(isTransientError(error)).toBe(true);
  });

  it.each([
    ['a NUL PostgreSQL cannot store', pgError('22P05', 'unsupported Unicode escape sequence')],
    ['a unique violation', pgError('23505', 'duplicate key value violates unique constraint "x"')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['nothing at all', undefined],
  ])('not %s', (_case, error) => {
    expect(isTransientError(error)).toBe(false);
  });
});

describe('describeError', () => {
  it('keeps class, SQLSTATE and message but blanks quoted values (they may be personal data)', () => {
    expect(describeError(pgError('22P02', 'invalid input syntax for type uuid: "amina@example.org"'))).toBe('Error [22P02]: invalid input syntax for type uuid: "…"');
  });
});
