import { DomainRuleViolation } from '../shared/decider';

/** The organisation's business rules, one class per rule (HTTP 422); `rule` is a stable code. */

export class InvalidOrganisationName extends DomainRuleViolation {
  static readonly rule = 'organisation.name.required';
  constructor() {
    super(InvalidOrganisationName.rule, 'An organisation needs a non-empty name');
  }
}

export class InvalidCountryCode extends DomainRuleViolation {
  static readonly rule = 'organisation.country.invalid';
  constructor(readonly country: string) {
    super(InvalidCountryCode.rule, `Country must be an ISO 3166-1 alpha-2 code, got "${country}"`);
  }
}

export class InvalidLegalStatus extends DomainRuleViolation {
  static readonly rule = 'organisation.legal-status.invalid';
  constructor(readonly legalStatus: string) {
    super(InvalidLegalStatus.rule, `Unknown legal status "${legalStatus}"`);
  }
}

export class InvalidFocusGroups extends DomainRuleViolation {
  static readonly rule = 'organisation.focus-groups.invalid';
  constructor() {
    super(InvalidFocusGroups.rule, 'Focus groups must be non-empty, distinct labels');
  }
}

export class InvalidContactPerson extends DomainRuleViolation {
  static readonly rule = 'organisation.contact-person.invalid';
  constructor() {
    super(InvalidContactPerson.rule, 'A contact person needs a name and an email address');
  }
}

export class InvalidMemberUserIds extends DomainRuleViolation {
  static readonly rule = 'organisation.members.invalid';
  constructor() {
    super(InvalidMemberUserIds.rule, 'Member user ids must be non-empty and distinct');
  }
}

export class EmptyProfileUpdate extends DomainRuleViolation {
  static readonly rule = 'organisation.profile.no-change';
  constructor() {
    super(EmptyProfileUpdate.rule, 'The update changes nothing');
  }
}

export class InvalidDueDiligenceOutcome extends DomainRuleViolation {
  static readonly rule = 'organisation.due-diligence.outcome-invalid';
  constructor(readonly outcome: string) {
    super(InvalidDueDiligenceOutcome.rule, `Unknown due diligence outcome "${outcome}"`);
  }
}

export class ErasureReasonRequired extends DomainRuleViolation {
  static readonly rule = 'organisation.erasure.reason-required';
  constructor() {
    super(ErasureReasonRequired.rule, 'An erasure needs a reason');
  }
}

export class InvalidPublicationConsent extends DomainRuleViolation {
  static readonly rule = 'organisation.publication-consent.invalid';
  constructor(consent: string) {
    super(InvalidPublicationConsent.rule, `Publication consent must be 'withheld' or 'public', got "${consent}"`);
  }
}
