import { type ClassConstructor, type ClassTransformOptions, plainToInstance, TransformationType, Type } from 'class-transformer';
// The storage class-transformer's decorators write to (its entry point is this CommonJS build).
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';

type Storage = typeof defaultMetadataStorage;
type TypeMetadata = NonNullable<ReturnType<Storage['findTypeMetadata']>>;
type TransformMetadata = ReturnType<Storage['findTransformMetadatas']>[number];
type Constructor = new () => object;

/** Whether this module reads the storage class-transformer's decorators write to (checked once, by a probe class). */
export const readsDecoratorMetadata: boolean = (() => {
  class Probe {
    @Type(() => Date) at: Date;
  }
  return defaultMetadataStorage.findTypeMetadata(Probe, 'at') !== undefined;
})();

/** Thrown inside the fast path for anything it leaves to class-transformer. */
const ASK = Symbol('ask class-transformer');

/** class-transformer's options for a call without options (its defaultOptions), as its transform functions receive them. */
const DEFAULT_OPTIONS: ClassTransformOptions = {
  enableCircularCheck: false,
  enableImplicitConversion: false,
  excludeExtraneousValues: false,
  excludePrefixes: undefined,
  exposeDefaultValues: false,
  exposeUnsetFields: true,
  groups: undefined,
  ignoreDecorators: false,
  strategy: undefined,
  targetMaps: undefined,
  version: undefined,
};

/** At most this many property names remembered per class (input names are the client's). */
const MAX_REMEMBERED_NAMES = 256;

interface PropertyPlan {
  type: TypeMetadata | undefined;
  transforms: TransformMetadata[];
}

interface ClassPlan {
  /** No @Expose/@Exclude on the class or its properties: every key of the input is copied. */
  copiesAllKeys: boolean;
  properties: Map<string, PropertyPlan>;
}

let plans = new WeakMap<object, ClassPlan>();
let installed = false;

/** Plans follow class-transformer's metadata: forgotten whenever a decorator registers some. */
function forgetPlansOnNewMetadata(): void {
  if (installed) return;
  installed = true;
  const storage = defaultMetadataStorage;
  for (const method of ['addTypeMetadata', 'addTransformMetadata', 'addExposeMetadata', 'addExcludeMetadata'] as const) {
    const add = storage[method].bind(storage) as (metadata: never) => void;
    (storage as unknown as Record<string, (metadata: never) => void>)[method] = (metadata: never) => {
      plans = new WeakMap();
      add(metadata);
    };
  }
}

function classPlan(target: Constructor): ClassPlan {
  let plan = plans.get(target);
  if (!plan) {
    const storage = defaultMetadataStorage;
    const copiesAllKeys =
      storage.getStrategy(target) === 'none' && storage.getExposedMetadatas(target).length === 0 && storage.getExcludedMetadatas(target).length === 0;
    plan = { copiesAllKeys, properties: new Map() };
    plans.set(target, plan);
  }
  return plan;
}

function propertyPlan(target: Constructor, plan: ClassPlan, name: string): PropertyPlan {
  let property = plan.properties.get(name);
  if (property) return property;
  const transforms = defaultMetadataStorage
    .findTransformMetadatas(target, name, TransformationType.PLAIN_TO_CLASS)
    // no groups asked for: class-transformer keeps the transforms that name none
    .filter((metadata) => !metadata.options || !metadata.options.groups || !metadata.options.groups.length);
  property = { type: defaultMetadataStorage.findTypeMetadata(target, name) ?? undefined, transforms };
  if (property.type?.options?.discriminator || property.type?.reflectedType === Map) throw ASK;
  if (plan.properties.size < MAX_REMEMBERED_NAMES) plan.properties.set(name, property);
  return property;
}

const isPlainObject = (value: object): boolean => {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/**
 * class-transformer's plainToInstance (0.5.1) for what the API's DTOs and parsed input are made of,
 * without its executor's per-key metadata searches (exposed names, excluded names, key strategy,
 * transform and type look-ups repeated for every key of every object): the same classes
 * instantiated, the same keys copied, the same @Type and @Transform applied in the same order, so
 * the same instance. It reads class-transformer's own metadata. Anything else — options, @Expose
 * or @Exclude, discriminators, Maps, Sets, Dates, Buffers, promises, class instances or functions
 * in the input, a failure — is left to class-transformer itself for the whole value (a @Transform
 * function may then run a second time: the API's are pure).
 */
export function plainToInstanceFast<T>(cls: ClassConstructor<T>, plain: unknown, options?: ClassTransformOptions): T | T[] {
  if (readsDecoratorMetadata && options === undefined && plain !== null && typeof plain === 'object' && !Array.isArray(plain) && isPlainObject(plain) && !Object.hasOwn(plain, 'constructor')) {
    forgetPlansOnNewMetadata();
    try {
      return new FastTransform().object(plain as Record<string, unknown>, cls as unknown as Constructor) as T;
    } catch {
      // ASK, or an error class-transformer will meet (or not) on its own
    }
  }
  return plainToInstance(cls, plain, options);
}

class FastTransform {
  private readonly options = { ...DEFAULT_OPTIONS };

  value(value: unknown, targetType: unknown, arrayType: unknown): unknown {
    if (Array.isArray(value)) {
      if (Object.getPrototypeOf(value) !== Array.prototype) throw ASK;
      const copy = arrayType ? this.newArray(arrayType) : [];
      // forEach, as class-transformer: the holes of a sparse array are skipped
      value.forEach((item: unknown) => copy.push(this.value(item, targetType, undefined)));
      return copy;
    }
    if (typeof value === 'function') throw ASK;
    if (value !== null && typeof value === 'object') {
      // a Date, Map, Set, Buffer, promise or class instance; or what class-transformer would not take for plain
      if (!isPlainObject(value) || Object.hasOwn(value, 'constructor') || typeof (value as { then?: unknown }).then === 'function') throw ASK;
    }
    if (typeof targetType === 'object' && targetType !== null) throw ASK; // a discriminator's options
    if (targetType === String || targetType === Number || targetType === Boolean || targetType === Date || targetType === Buffer) {
      if (value === null || value === undefined) return value;
      if (targetType === String) return String(value);
      if (targetType === Number) return Number(value);
      if (targetType === Boolean) return Boolean(value);
      throw ASK;
    }
    if (value === null || typeof value !== 'object') return value;
    if (targetType === undefined) return this.untyped(value as Record<string, unknown>);
    if (typeof targetType !== 'function') throw ASK;
    return this.object(value as Record<string, unknown>, targetType as Constructor);
  }

  /** A plain object of a class with type metadata. */
  object(value: Record<string, unknown>, target: Constructor): object {
    const plan = classPlan(target);
    if (!plan.copiesAllKeys) throw ASK;
    const instance = new target() as Record<string, unknown>;
    const prototype: unknown = instance.constructor.prototype;
    for (const key of Object.keys(value)) {
      if (key === '__proto__' || key === 'constructor') continue;
      const property = propertyPlan(target, plan, key);
      const subValue = value[key];
      const type = property.type ? (property.type.typeFunction ? property.type.typeFunction({ newObject: instance, object: value, property: key }) : property.type.reflectedType) : undefined;
      const arrayType: unknown = Array.isArray(subValue) && property.type ? property.type.reflectedType : undefined;
      if (prototype) {
        const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
        if ((descriptor && !descriptor.set) || instance[key] instanceof Function) continue;
      }
      let finalValue = this.value(subValue, type, arrayType);
      for (const transform of property.transforms) {
        finalValue = transform.transformFn({ value: finalValue, key, obj: value, type: TransformationType.PLAIN_TO_CLASS, options: this.options });
      }
      instance[key] = finalValue; // exposeUnsetFields: undefined is set too
    }
    return instance;
  }

  /** A plain object without a type (an untyped nested object): copied key by key as a plain object. */
  private untyped(value: Record<string, unknown>): object {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (key === '__proto__' || key === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(Object.prototype, key);
      if ((descriptor && !descriptor.set) || copy[key] instanceof Function) continue;
      copy[key] = this.value(value[key], undefined, undefined);
    }
    return copy;
  }

  private newArray(arrayType: unknown): unknown[] {
    if (typeof arrayType !== 'function') throw ASK;
    const array: unknown = new (arrayType as new () => unknown)();
    if (array instanceof Set) throw ASK;
    if (!('push' in (array as object))) return [];
    if (!Array.isArray(array) || Object.getPrototypeOf(array) !== Array.prototype) throw ASK;
    return array as unknown[];
  }
}
