import { getMetadataStorage, type ValidationArguments, type ValidatorOptions } from 'class-validator';

type Storage = ReturnType<typeof getMetadataStorage>;
type Metadata = ReturnType<Storage['getTargetValidationMetadatas']>[number];

// class-validator's ValidationTypes (its executor compares these strings).
const CUSTOM_VALIDATION = 'customValidation';
const NESTED_VALIDATION = 'nestedValidation';
const PROMISE_VALIDATION = 'promiseValidation';
const CONDITIONAL_VALIDATION = 'conditionalValidation';
const WHITELIST = 'whitelistValidation';
const IS_DEFINED = 'isDefined';

/** The rules of one property, sorted as class-validator's executor sorts them on every call. */
interface PropertyRules {
  name: string;
  defined: Metadata[];
  custom: Metadata[];
  nested: Metadata[];
  conditional: Metadata[];
  hasPromiseValidation: boolean;
}

interface ClassRules {
  /**
   * class-validator's `groupByPropertyName` result: a plain object, so that the whitelist test below
   * reads it exactly as class-validator does (inherited names included, see `isWhitelisted`).
   */
  grouped: Record<string, Metadata[]>;
  properties: PropertyRules[];
}

/** Answer of the fast path: the object passes every rule, or "ask class-validator". */
const PASSES = true;
const ASK = false;

/**
 * Per rule list (the array class-validator's storage answers, remembered per class by
 * validation-metadata-cache.ts, so its identity changes whenever a rule is registered).
 */
const rulesByMetadatas = new WeakMap<readonly Metadata[], ClassRules>();

type Constraint = ReturnType<Storage['getTargetValidatorConstraints']>[number];

/** Per rule, its constraint classes (see FastPath.constraintsOf). */
const constraintsByRule = new WeakMap<Metadata, readonly Constraint[]>();

function classRules(metadatas: readonly Metadata[]): ClassRules {
  let rules = rulesByMetadatas.get(metadatas);
  if (rules) return rules;
  const grouped: Record<string, Metadata[]> = {};
  for (const metadata of metadatas) {
    if (!grouped[metadata.propertyName]) grouped[metadata.propertyName] = [];
    grouped[metadata.propertyName].push(metadata);
  }
  const properties = Object.keys(grouped).map((name): PropertyRules => {
    const all = grouped[name];
    const others = all.filter((metadata) => metadata.type !== IS_DEFINED && metadata.type !== WHITELIST);
    return {
      name,
      defined: all.filter((metadata) => metadata.type === IS_DEFINED),
      custom: others.filter((metadata) => metadata.type === CUSTOM_VALIDATION),
      nested: others.filter((metadata) => metadata.type === NESTED_VALIDATION),
      conditional: others.filter((metadata) => metadata.type === CONDITIONAL_VALIDATION),
      hasPromiseValidation: others.some((metadata) => metadata.type === PROMISE_VALIDATION),
    };
  });
  rules = { grouped, properties };
  rulesByMetadatas.set(metadatas, rules);
  return rules;
}

const isPromise = (value: unknown): boolean =>
  value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';

/**
 * Whether class-validator (0.15) would find no error at all in `object` with these options — or
 * `false` when it cannot tell cheaply, in which case the caller runs class-validator itself. It runs
 * the same rules, conditions and constraint functions class-validator runs, in its order, on the same
 * values, and answers PASSES only when every one of them passed; it never produces errors, so every
 * refusal (its fields, messages and order) still comes from class-validator. What it saves is the
 * executor's bookkeeping around a valid object: an error object per property, the rules regrouped
 * and refiltered per object, the promise machinery of `validate`.
 *
 * Anything it does not handle is left to class-validator: a constraint answering a promise (async
 * rules), a promise-valued property with @ValidatePromise, whitelist without forbidNonWhitelisted
 * (class-validator then deletes the unknown properties: a change, not a verdict), and a rule that
 * throws.
 */
export function passesAllRules(object: object, options: ValidatorOptions = {}): boolean {
  if (options.whitelist && !options.forbidNonWhitelisted) return ASK;
  try {
    return new FastPath(options).execute(object, undefined);
  } catch {
    return ASK; // class-validator runs the rules again and throws (or not) as it always did
  }
}

class FastPath {
  private readonly storage = getMetadataStorage();
  private readonly always: boolean;
  private readonly strictGroups: boolean;
  private readonly forbidUnknownValues: boolean;

  constructor(private readonly options: ValidatorOptions) {
    this.always = options.always || false;
    this.strictGroups = options.strictGroups || false;
    this.forbidUnknownValues = options.forbidUnknownValues === undefined || options.forbidUnknownValues !== false;
  }

  execute(object: object, targetSchema: string | undefined): boolean {
    const metadatas = this.storage.getTargetValidationMetadatas(
      object.constructor,
      targetSchema as string,
      this.always,
      this.strictGroups,
      this.options.groups,
    );
    if (this.forbidUnknownValues && !metadatas.length) return ASK;
    const { grouped, properties } = classRules(metadatas);
    if (this.options.whitelist) {
      for (const key of Object.keys(object)) if (!isWhitelisted(grouped, key)) return ASK;
    }
    const values = object as Record<string, unknown>;
    // What class-validator passes as targetName, read once per object (Function#name is a getter).
    const targetName = object.constructor ? object.constructor.name : (undefined as unknown as string);
    for (const property of properties) {
      const value = values[property.name];
      if (value instanceof Promise && property.hasPromiseValidation) return ASK;
      if (!this.property(object, targetName, value, property)) return ASK;
    }
    return PASSES;
  }

  private property(object: object, targetName: string, value: unknown, rules: PropertyRules): boolean {
    // class-validator evaluates every condition, then skips the property unless all of them hold.
    let canValidate: unknown = true;
    for (const condition of rules.conditional) {
      const holds: unknown = (condition.constraints[0] as (object: object, value: unknown) => unknown)(object, value);
      canValidate = canValidate && holds;
    }
    if (!canValidate) return PASSES;
    if (!this.constraints(object, targetName, value, rules.defined)) return ASK;
    if (value === undefined && this.options.skipUndefinedProperties === true) return PASSES;
    if (value === null && this.options.skipNullProperties === true) return PASSES;
    if ((value === null || value === undefined) && this.options.skipMissingProperties === true) return PASSES;
    if (!this.constraints(object, targetName, value, rules.custom)) return ASK;
    return this.nested(value, rules.nested);
  }

  private constraints(object: object, targetName: string, value: unknown, metadatas: readonly Metadata[]): boolean {
    for (const metadata of metadatas) {
      if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
      for (const constraint of this.constraintsOf(metadata)) {
        const args: ValidationArguments = {
          targetName,
          property: metadata.propertyName,
          object,
          value,
          constraints: metadata.constraints,
        };
        if (!metadata.each || !(Array.isArray(value) || value instanceof Set || value instanceof Map)) {
          const valid: unknown = constraint.instance.validate(value, args);
          if (isPromise(valid) || !valid) return ASK;
          continue;
        }
        const items: unknown[] = value instanceof Map ? Array.from(value.values()) : Array.isArray(value) ? value : Array.from(value);
        // class-validator validates every item before it looks at the answers.
        const answers: unknown[] = items.map((item) => constraint.instance.validate(item, args));
        if (answers.some((answer) => isPromise(answer) || !answer)) return ASK;
      }
    }
    return PASSES;
  }

  /**
   * The constraint classes of a rule: class-validator filters its whole constraint list for them on
   * every call; they are registered with the rule's decorator, so a list once found is remembered.
   */
  private constraintsOf(metadata: Metadata): readonly Constraint[] {
    let constraints = constraintsByRule.get(metadata);
    if (constraints) return constraints;
    constraints = this.storage.getTargetValidatorConstraints(metadata.constraintCls);
    if (constraints.length > 0) constraintsByRule.set(metadata, constraints);
    return constraints;
  }

  private nested(value: unknown, metadatas: readonly Metadata[]): boolean {
    if (value === undefined) return PASSES;
    for (const metadata of metadatas) {
      if (Array.isArray(value) || value instanceof Set || value instanceof Map) {
        const items = value instanceof Set ? Array.from(value) : value;
        let passes = true;
        // forEach, as class-validator: it skips the holes of a sparse array.
        items.forEach((item: unknown) => {
          if (passes && !this.nested(item, metadatas)) passes = false;
        });
        if (!passes) return ASK;
      } else if (value instanceof Object) {
        const targetSchema = typeof metadata.target === 'string' ? metadata.target : metadata.target.name;
        if (!this.execute(value, targetSchema)) return ASK;
      } else {
        return ASK; // a primitive where a nested object was expected
      }
    }
    return PASSES;
  }
}

/**
 * class-validator's whitelist test, kept as it is: it looks the name up on a plain object, so a
 * name Object.prototype holds as a function with parameters (`hasOwnProperty`, `isPrototypeOf`…)
 * counts as a rule and is let through, while `toString` (no parameters) is refused.
 */
function isWhitelisted(grouped: Record<string, Metadata[]>, key: string): boolean {
  return !(!grouped[key] || grouped[key].length === 0);
}
