import type { DataSource } from 'typeorm';

/**
 * The data source as it behaves when the database goes away mid-work: its next `count`
 * `transaction(...)` calls fail as a dropped connection does, everything else works. For senders
 * whose attempt cannot be recorded (a database restart between sending and recording).
 */
export function failingTransactions(dataSource: DataSource, count: number): DataSource {
  let failures = count;
  return new Proxy(dataSource, {
    get(target, property, receiver) {
      if (property === 'transaction' && failures > 0) {
        failures -= 1;
        return () => Promise.reject(new Error('Connection terminated unexpectedly'));
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The data source whose next `count` `query(...)` calls whose SQL matches `matching` fail as a
 * dropped connection does; everything else works. For a sender whose outcomes cannot be recorded.
 */
export function failingQueries(dataSource: DataSource, count: number, matching: RegExp): DataSource {
  let failures = count;
  return new Proxy(dataSource, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property === 'query') {
        return (sql: string, ...rest: unknown[]) => {
          if (failures > 0 && matching.test(sql)) {
            failures -= 1;
            return Promise.reject(new Error('Connection terminated unexpectedly'));
          }
          return (value as (...args: unknown[]) => unknown).call(target, sql, ...rest);
        };
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
