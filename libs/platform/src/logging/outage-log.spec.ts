import { OutageLog } from './outage-log';

describe('OutageLog', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

  it('logs an outage at most once every 5 s, and any other failure every time', () => {
    const log = new OutageLog();
    expect([0, 1_000, 4_999, 5_000, 6_000, 10_000].map((at) => log.shouldLog(refused, at))).toEqual([true, false, false, true, false, true]);
    expect([0, 1, 2].map((at) => log.shouldLog(new TypeError('a bug'), at))).toEqual([true, true, true]);
  });
});
