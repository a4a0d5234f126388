/** A DomainRuleViolation subclass as documentation sees it: its stable `rule` code and its name. */
export interface RuleViolationClass {
  readonly rule: string;
  readonly name: string;
}
