import { getMetadataStorage } from 'class-validator';

type Storage = ReturnType<typeof getMetadataStorage>;
type Lookup = Storage['getTargetValidationMetadatas'];
type Metadatas = ReturnType<Lookup>;

const CACHED = Symbol('grant-ledger.validation-metadata-cache');

/**
 * Remembers class-validator's answer to "which rules apply to this class": its storage recomputes it
 * on every validation of every (nested) object by filtering its rules and walking every registered
 * class for inheritance — with this API's hundred-odd DTO classes, a third of the validation of a
 * POST /calls body (issue 11). The answer depends only on the arguments and on the rules registered,
 * so it is kept per arguments and forgotten whenever a rule is registered (decorators run as classes
 * load, before any request). The arrays are shared read-only, as class-validator itself treats them.
 * Idempotent: installing it twice wraps the storage once.
 */
export function cacheValidationMetadata(storage: Storage = getMetadataStorage()): void {
  const marked = storage as Storage & { [CACHED]?: true };
  if (marked[CACHED]) return;
  marked[CACHED] = true;

  const lookup: Lookup = storage.getTargetValidationMetadatas.bind(storage);
  let byTarget = new WeakMap<object, Map<string | undefined, Metadatas>>();
  const forget = () => {
    byTarget = new WeakMap();
  };
  const addValidationMetadata = storage.addValidationMetadata.bind(storage);
  storage.addValidationMetadata = (metadata) => {
    forget();
    addValidationMetadata(metadata);
  };
  const addValidationSchema = storage.addValidationSchema.bind(storage);
  storage.addValidationSchema = (schema) => {
    forget();
    addValidationSchema(schema);
  };
  storage.getTargetValidationMetadatas = (targetConstructor, targetSchema, always, strictGroups, groups) => {
    // Schema-based validation (a string target) is not used here; pass it through untouched.
    if (typeof targetConstructor !== 'function') return lookup(targetConstructor, targetSchema, always, strictGroups, groups);
    // The common call (no groups, no `always`, no strict groups) is keyed by the schema name alone,
    // without building a key string per call; the others by everything they depend on.
    const key =
      !always && !strictGroups && groups === undefined
        ? targetSchema
        : `\u0000${targetSchema}\u0000${always}\u0000${strictGroups}\u0000${groups === undefined ? '' : JSON.stringify(groups)}`;
    let cached = byTarget.get(targetConstructor);
    if (!cached) byTarget.set(targetConstructor, (cached = new Map()));
    let metadatas = cached.get(key);
    if (!metadatas) cached.set(key, (metadatas = lookup(targetConstructor, targetSchema, always, strictGroups, groups)));
    return metadatas;
  };
}
