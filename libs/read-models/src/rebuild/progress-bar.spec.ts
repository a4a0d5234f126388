import { renderProgress } from './progress-bar';

describe('renderProgress', () => {
  it('shows the share done, the rate and what is left once the log is counted', () => {
    expect(renderProgress('grants', 420_000, 1_000_000, 12, 420_000, 10)).toBe('grants [####------]  42% 420,000/1,000,000 events  35,000 ev/s  ETA 17s');
  });

  it('claims no share of a total before the log is counted (it once drew 100% 0/0)', () => {
    expect(renderProgress('rebuild', 0, null, 0, 0)).toBe('rebuild 0 events  0 ev/s  (counting the log)');
    expect(renderProgress('rebuild', 4_000, null, 2, 4_000)).toBe('rebuild 4,000 events  2,000 ev/s  (counting the log)');
  });

  it('an empty log is done at once', () => {
    expect(renderProgress('calls', 0, 0, 1, 0, 10)).toBe('calls [##########] 100% 0/0 events  0 ev/s  ETA ?');
  });
});
