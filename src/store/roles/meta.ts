/** Role: small named values — schema facts, the master key's check value. Implemented by `metaRepository` (src/store/meta.ts). */
export interface MetaStore {
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Write a named value unless one is there; returns the value that is there now (first writer wins). */
  claimMeta(key: string, value: string): Promise<string>;
}
