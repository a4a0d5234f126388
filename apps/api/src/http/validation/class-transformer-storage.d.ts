// class-transformer ships the types of its modules apart from them (types/); this names the storage's.
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
