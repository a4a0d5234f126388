import { API_MAIN, startFlagsFor, WORKER_MAIN } from './processes';

describe('the servers the fault suite and benchmarks start', () => {
  it('get the Node options npm start gives them', () => {
    expect(startFlagsFor(API_MAIN)).toEqual(['--max-semi-space-size=64']);
    expect(startFlagsFor(WORKER_MAIN)).toEqual(['--max-semi-space-size=64']);
  });

  it('refuses an entry point no npm script starts, rather than starting it differently', () => {
    expect(() => startFlagsFor(API_MAIN.replace('main.js', 'other.js'))).toThrow('no npm script starts');
  });
});
