// Plain-Node entry of the library: registers tsx so the TypeScript sources
// load without a build step, then re-exports the API.
import { register } from 'tsx/esm/api';

register();
const api = await import('./index.ts');

export const { RvfDatabase, RvfError, isRvfError, idToJson, LIMITS } = api;
