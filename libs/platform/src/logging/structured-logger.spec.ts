import { Logger } from '@nestjs/common';
import { nestStructuredLogger, type StructuredLogger } from './structured-logger';

describe('nestStructuredLogger', () => {
  afterEach(() => jest.restoreAllMocks());

  it('writes the message as `msg` with the fields, under the logger name', () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const logger: StructuredLogger = nestStructuredLogger('ProcessManagers');
    logger.log('grant created', { grantId: 'g-1', position: '42' });
    logger.error('step refused', { rule: 'call-budget-exceeded' });
    logger.log('tick');
    expect(log).toHaveBeenCalledWith({ msg: 'grant created', grantId: 'g-1', position: '42' });
    expect(error).toHaveBeenCalledWith({ msg: 'step refused', rule: 'call-budget-exceeded' });
    expect(log).toHaveBeenLastCalledWith({ msg: 'tick' });
    expect(log.mock.contexts[0]).toMatchObject({ context: 'ProcessManagers' });
  });
});
