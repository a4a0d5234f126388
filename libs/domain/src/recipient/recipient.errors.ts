import { DomainRuleViolation } from '../shared/decider';

/**
 * The recipient ledger's rules, one class per rule (HTTP 422 through DomainRuleViolation; `rule`
 * is the stable code). Tests assert the class, never the message.
 */

/** The ceiling per recipient: what one organisation is awarded across a programme, in one currency, never passes it. */
export class RecipientCeilingExceeded extends DomainRuleViolation {
  static readonly rule = 'recipient.ceiling.exceeded';
  constructor(
    readonly organisationId: string,
    readonly ceilingMinor: number,
    readonly totalMinor: number,
    readonly requestedMinor: number,
    readonly currency: string,
  ) {
    super(
      RecipientCeilingExceeded.rule,
      `Organisation ${organisationId} already has ${totalMinor} ${currency} (minor units) of its ceiling ${ceilingMinor}; ${requestedMinor} more would pass it`,
    );
  }
}

export class InvalidRecipientAmount extends DomainRuleViolation {
  static readonly rule = 'recipient.amount.invalid';
  constructor(readonly amountMinor: number) {
    super(InvalidRecipientAmount.rule, `A recipient's amount must be a positive integer of minor units (a change a non-zero one, never below nothing), got ${amountMinor}`);
  }
}

export class InvalidRecipientCeiling extends DomainRuleViolation {
  static readonly rule = 'recipient.ceiling.invalid';
  constructor(readonly ceilingMinor: number) {
    super(InvalidRecipientCeiling.rule, `A ceiling per recipient must be a positive integer of minor units, got ${ceilingMinor}`);
  }
}

export class MissingRecipientDetails extends DomainRuleViolation {
  static readonly rule = 'recipient.details.required';
  constructor(message: string) {
    super(MissingRecipientDetails.rule, message);
  }
}

/** The grant already counts a different amount (or call, or role) for this organisation, or its commitment was released. */
export class RecipientCommitmentConflict extends DomainRuleViolation {
  static readonly rule = 'recipient.commitment.conflict';
  constructor(message: string) {
    super(RecipientCommitmentConflict.rule, message);
  }
}

export class RecipientCommitmentNotFound extends DomainRuleViolation {
  static readonly rule = 'recipient.commitment.not-found';
  constructor(
    readonly organisationId: string,
    readonly grantId: string,
  ) {
    super(RecipientCommitmentNotFound.rule, `Grant ${grantId} counts nothing for organisation ${organisationId}`);
  }
}
