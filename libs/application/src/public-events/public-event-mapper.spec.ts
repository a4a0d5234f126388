import type { OrganisationsQuery } from '@app/read-models/organisations/organisations.query';
import { PublicEventMapper } from './public-event-mapper';
import { organisationPseudonym, WITHHELD_ORGANISATION_NAME } from './withheld-organisations';

const SECRET = 'a-test-pseudonym-secret-of-32-characters';
const LEAD = '0f3c1e8d-6a4c-4e9a-8b1f-0e3d4c5b6a70';

/** The organisations read model as the mapper reads it: consent and withdrawals by id. */
function mapperWith(rows: { publicationConsent: 'public' | 'withheld'; consentWithdrawals: string[] }): PublicEventMapper {
  const organisations = {
    publication: async (ids: readonly string[]) =>
      ids.includes(LEAD) ? [{ id: LEAD, name: 'Once Public Network', publicationConsent: rows.publicationConsent, consentWithdrawals: rows.consentWithdrawals.map((at) => new Date(at)) }] : [],
  } as unknown as OrganisationsQuery;
  return new PublicEventMapper(SECRET, organisations);
}

const withheld = (epoch: number) => ({ id: `withheld-${organisationPseudonym(LEAD, SECRET, epoch)}`, name: WITHHELD_ORGANISATION_NAME, withheld: true });

/** A queued webhook body (built with every organisation withheld), shown again as consent stands when it is sent. */
describe('PublicEventMapper.reshow', () => {
  const queued = (awardedAt: string) => ({ data: { grantId: 'g', recipient: withheld(0), partners: [], awardedAt }, organisationIds: [LEAD] });

  it('shows a grant awarded after a withdrawal under the new pseudonym, and one awarded before under the old one', async () => {
    const mapper = mapperWith({ publicationConsent: 'withheld', consentWithdrawals: ['2027-03-01T09:00:00.000Z'] });
    const [before, after] = (await mapper.reshow([queued('2027-02-01T09:00:00.000Z'), queued('2027-04-01T09:00:00.000Z')])) as { recipient: unknown }[];
    expect(before.recipient).toEqual(withheld(0));
    expect(after.recipient).toEqual(withheld(1));
  });

  it('recognises a body built under any of the organisation\'s pseudonyms, and names it once it is public', async () => {
    const mapper = mapperWith({ publicationConsent: 'public', consentWithdrawals: ['2027-03-01T09:00:00.000Z'] });
    const built = { data: { recipient: withheld(1), awardedAt: '2027-04-01T09:00:00.000Z' }, organisationIds: [LEAD] };
    const [shown] = (await mapper.reshow([built])) as { recipient: unknown }[];
    expect(shown.recipient).toEqual({ id: LEAD, name: 'Once Public Network', withheld: false });
  });
});
