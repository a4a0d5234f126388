import { DEFAULT_RECIPIENT_CEILING_POLICY, recipientCeilingFor } from '@app/domain/recipient';
import { callRecipientCeiling } from './call-recipient-ceiling';

describe("a call's ceiling per recipient, as GET /calls/:id shows it", () => {
  const policy = { defaultMinor: 6_000_000, byProgramme: { 'Civic Space 2027': 5_000_000 }, currency: 'EUR' };
  const call = (programme: string, currency: string, recipientCeilingMinor: number | null) => ({ programme, currency, recipientCeilingMinor });

  it("is the call's own when it states one, whatever is configured for its programme", () => {
    expect(callRecipientCeiling(call('Civic Space 2027', 'EUR', 9_000_000), policy)).toEqual({ amountMinor: 9_000_000, currency: 'EUR', source: 'call' });
    expect(callRecipientCeiling(call('Other', 'LBP', 120_000_000), policy)).toEqual({ amountMinor: 120_000_000, currency: 'LBP', source: 'call' });
  });

  it("else the programme's, the programme matched in any case and spacing, else the default", () => {
    expect(callRecipientCeiling(call(' civic  SPACE 2027', 'EUR', null), policy)).toEqual({ amountMinor: 5_000_000, currency: 'EUR', source: 'programme' });
    expect(callRecipientCeiling(call('Small Grants', 'EUR', null), policy)).toEqual({ amountMinor: 6_000_000, currency: 'EUR', source: 'default' });
    expect(callRecipientCeiling(call('Small Grants', 'EUR', null), DEFAULT_RECIPIENT_CEILING_POLICY)).toEqual({ amountMinor: 6_000_000, currency: 'EUR', source: 'default' });
  });

  it('is always the number the award check holds the call to (recipientCeilingFor), in the call\'s currency', () => {
    for (const c of [call('Civic Space 2027', 'EUR', null), call('Civic Space 2027', 'EUR', 7_500_000), call('X', 'JPY', null), call('civic space 2027', 'KWD', null)]) {
      const shown = callRecipientCeiling(c, policy);
      expect([shown.amountMinor, shown.currency]).toEqual([recipientCeilingFor({ programme: c.programme, ...(c.recipientCeilingMinor !== null ? { recipientCeilingMinor: c.recipientCeilingMinor } : {}) }, policy), c.currency]);
    }
  });
});
