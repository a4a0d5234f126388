import { ForbiddenException } from '@nestjs/common';
import { callStatusesToList, maySeeCall, visibleCallStatuses } from './calls/call-access';
import { grantCommandOptions, grantListScope, maySeeGrant } from './grants/grant-access';
import {
  applicantOrganisation,
  authorizeProfileChange,
  authorizeRegistration,
  listedOrganisationName,
  maySeeOrganisation,
  organisationNameScope,
} from './organisations/organisation-access';
import { WITHHELD_ORGANISATION_NAME } from './public-events/withheld-organisations';

const ORG = '7b0cf2a4-1d5e-4c55-9a0b-1f6a3b2c4d5e';
const OTHER = 'c2f1d0e9-8b7a-4c6d-9e5f-0a1b2c3d4e5f';

describe('access rules (one style per resource)', () => {
  describe('calls', () => {
    it('the programme team and auditors see drafts; applicants and reviewers only public calls', () => {
      expect(visibleCallStatuses({ role: 'grant-manager' })).toBeUndefined();
      expect(visibleCallStatuses({ role: 'auditor' })).toBeUndefined();
      expect(visibleCallStatuses({ role: 'applicant' })).toEqual(['published', 'closed']);
      expect(maySeeCall({ role: 'reviewer' }, { status: 'draft' })).toBe(false);
      expect(maySeeCall({ role: 'reviewer' }, { status: 'closed' })).toBe(true);
      expect(maySeeCall({ role: 'admin' }, { status: 'draft' })).toBe(true);
    });

    it('a status filter never widens what the actor may see', () => {
      expect(callStatusesToList({ role: 'applicant' }, 'draft')).toEqual([]);
      expect(callStatusesToList({ role: 'applicant' }, 'published')).toEqual(['published']);
      expect(callStatusesToList({ role: 'applicant' }, undefined)).toEqual(['published', 'closed']);
      expect(callStatusesToList({ role: 'grant-manager' }, 'draft')).toEqual(['draft']);
      expect(callStatusesToList({ role: 'grant-manager' }, undefined)).toBeUndefined();
    });
  });

  describe('grants', () => {
    it('applicants see their own organisation\'s grants only, and none without an organisation', () => {
      expect(grantListScope({ role: 'applicant', organisationId: ORG })).toEqual({ granteeOrganisationId: ORG });
      expect(grantListScope({ role: 'applicant' })).toBeNull();
      expect(grantListScope({ role: 'auditor' })).toEqual({});
      expect(maySeeGrant({ role: 'applicant', organisationId: ORG }, { granteeOrganisationId: OTHER })).toBe(false);
      expect(maySeeGrant({ role: 'applicant', organisationId: ORG }, { granteeOrganisationId: ORG })).toBe(true);
      expect(maySeeGrant({ role: 'grant-manager' }, { granteeOrganisationId: OTHER })).toBe(true);
    });

    it('an applicant acts for its organisation; without one it is refused', () => {
      expect(grantCommandOptions({ role: 'applicant', organisationId: ORG })).toEqual({ actingForOrganisationId: ORG });
      expect(grantCommandOptions({ role: 'grant-manager' })).toEqual({});
      expect(() => grantCommandOptions({ role: 'applicant' })).toThrow(ForbiddenException);
    });
  });

  describe('organisations', () => {
    const applicant = { id: 'u1', role: 'applicant', organisationId: ORG.toUpperCase() };
    it('an applicant registers and changes only the organisation its token names, never member users', () => {
      expect(applicantOrganisation(applicant)).toBe(ORG);
      expect(() => applicantOrganisation({ id: 'u1', role: 'applicant', organisationId: 'not-a-uuid' })).toThrow(ForbiddenException);
      expect(() => authorizeRegistration(applicant, undefined)).not.toThrow();
      expect(() => authorizeRegistration(applicant, ['someone'])).toThrow('Only the programme team sets member users');
      expect(() => authorizeProfileChange(applicant, ORG, undefined)).not.toThrow();
      expect(() => authorizeProfileChange(applicant, OTHER, undefined)).toThrow('Applicants may change only their own organisation');
      expect(() => authorizeProfileChange(applicant, ORG, [])).toThrow('Only the programme team changes member users');
      expect(() => authorizeProfileChange({ id: 'm', role: 'grant-manager' }, OTHER, ['x'])).not.toThrow();
    });

    it('another organisation is invisible to an applicant, visible to the programme team and auditors', () => {
      expect(maySeeOrganisation(applicant, ORG)).toBe(true);
      expect(maySeeOrganisation(applicant, OTHER)).toBe(false);
      expect(maySeeOrganisation({ id: 'a', role: 'auditor' }, OTHER)).toBe(true);
    });

    it("lists name every organisation to the programme team and auditors; to others their own and public ones, the rest withheld as partner systems see them", () => {
      const withheld = { id: OTHER, name: 'Other group', country: 'PS', publicationConsent: 'withheld' as const };
      const own = { id: ORG, name: 'Own group', country: 'LB', publicationConsent: 'withheld' as const };
      const published = { ...withheld, publicationConsent: 'public' as const };
      expect(organisationNameScope({ id: 'm', role: 'grant-manager' })).toEqual({ kind: 'all' });
      expect(organisationNameScope({ id: 'a', role: 'auditor' })).toEqual({ kind: 'all' });
      expect(organisationNameScope({ id: 'r', role: 'reviewer', organisationId: ORG })).toEqual({ kind: 'own-or-public' });
      const scope = organisationNameScope(applicant);
      expect(scope).toEqual({ kind: 'own-or-public', organisationId: ORG.toUpperCase() });
      const known = (...organisations: (typeof withheld | typeof own | typeof published)[]) => new Map(organisations.map((o) => [o.id, o]));
      expect(listedOrganisationName(scope, ORG.toUpperCase(), known(own))).toEqual({ name: 'Own group', country: 'LB' });
      expect(listedOrganisationName(scope, OTHER, known(published))).toEqual({ name: 'Other group', country: 'PS' });
      expect(listedOrganisationName(scope, OTHER, known(withheld))).toEqual({ name: WITHHELD_ORGANISATION_NAME, country: null });
      expect(listedOrganisationName(scope, OTHER, known())).toEqual({ name: WITHHELD_ORGANISATION_NAME, country: null });
      expect(listedOrganisationName({ kind: 'all' }, OTHER, known(withheld))).toEqual({ name: 'Other group', country: 'PS' });
      expect(listedOrganisationName({ kind: 'all' }, OTHER, known())).toEqual({ name: null, country: null });
    });
  });
});
