import { z } from 'zod';

/**
 * A store's short name: `notes` is `<root>/notes.rvf`. The pattern alone keeps
 * names inside the root (no separators, no leading dot, so no `..`, no NUL);
 * store/registry.ts checks symlinks as well.
 */
export const STORE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const StoreName = z
  .string()
  .regex(STORE_NAME_PATTERN, {
    error: 'a store name is 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit (no paths); list the stores with rvf_list_stores',
  })
  .describe('Store name: 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, e.g. "notes" for <root>/notes.rvf; rvf_list_stores lists them');
