/**
 * Metadata filters, MongoDB style:
 *   { genre: "jazz" }                      equality (several keys: all must hold)
 *   { year: { $gte: 1990, $lt: 2000 } }    $eq $ne $gt $gte $lt $lte $in $nin $exists
 *   { $or: [ {...}, {...} ] }, { $and: [...] }
 * Field names may use dots for nested objects ("author.name"); `\.` is a dot
 * inside a key and `\\` a backslash ("author\.name" is the key author.name). The structure
 * is checked, with a message per mistake, by store/filter.ts.
 */
export type FilterScalar = string | number | boolean | null;

export interface FilterOperators {
  $eq?: FilterScalar;
  $ne?: FilterScalar;
  $gt?: number | string;
  $gte?: number | string;
  $lt?: number | string;
  $lte?: number | string;
  $in?: FilterScalar[];
  $nin?: FilterScalar[];
  $exists?: boolean;
}

export type Filter = {
  $and?: Filter[];
  $or?: Filter[];
  [field: string]: FilterScalar | FilterOperators | Filter[] | undefined;
};
