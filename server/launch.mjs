// Shared by the bin shims: run a TypeScript entry through tsx without a build step.
import { register } from 'tsx/esm/api';

export async function launch(entry) {
  register();
  await import(entry);
}
