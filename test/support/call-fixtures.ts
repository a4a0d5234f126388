/**
 * The call most tests draft: the programme's small grants for issue-based networks (a budget of
 * EUR 600,000, awards of EUR 20,000–80,000, three partners at least, two reviews, three weighted
 * criteria). Tests change what they are about with `overrides`; scenario helpers (grants-support,
 * faults/support/calls) start from it too.
 */
export const NETWORK_CRITERIA = [
  { id: 'relevance', name: 'Relevance', weight: 40, maxScore: 10 },
  { id: 'network', name: 'Network', weight: 30, maxScore: 10 },
  { id: 'feasibility', name: 'Feasibility', weight: 30, maxScore: 10 },
];

/** One criterion weighing everything, for tests about something other than scoring. */
export const SINGLE_CRITERION = [{ id: 'relevance', name: 'Relevance', weight: 100, maxScore: 10 }];

export function draftCallBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    programme: 'Civic Space and Minority Rights Programme 2027',
    title: 'Small grants for issue-based networks',
    description: 'Networks of grassroots organisations in Lebanon, Palestine, Morocco and Tunisia.',
    currency: 'EUR',
    budgetMinor: 60_000_000,
    minAwardMinor: 2_000_000,
    maxAwardMinor: 8_000_000,
    eligibleCountries: ['LB', 'PS', 'MA', 'TN'],
    minPartners: 3,
    criteria: NETWORK_CRITERIA,
    reviewsRequired: 2,
    opensAt: '2027-01-15T00:00:00Z',
    closesAt: '2027-03-31T23:59:59Z',
    ...overrides,
  };
}
