import { z } from 'zod';

/**
 * Metadata filters, MongoDB style:
 *   { genre: "jazz" }                      equality (several keys: all must hold)
 *   { year: { $gte: 1990, $lt: 2000 } }    $eq $ne $gt $gte $lt $lte $in $nin $exists
 *   { $or: [ {...}, {...} ] }, { $and: [...] }
 * Field names may use dots for nested objects ("author.name").
 */
export const FilterScalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type FilterScalar = z.infer<typeof FilterScalar>;

export const FilterOperators = z
  .object({
    $eq: FilterScalar.optional(),
    $ne: FilterScalar.optional(),
    $gt: z.union([z.number(), z.string()]).optional(),
    $gte: z.union([z.number(), z.string()]).optional(),
    $lt: z.union([z.number(), z.string()]).optional(),
    $lte: z.union([z.number(), z.string()]).optional(),
    $in: z.array(FilterScalar).optional(),
    $nin: z.array(FilterScalar).optional(),
    $exists: z.boolean().optional(),
  })
  .strict();
export type FilterOperators = z.infer<typeof FilterOperators>;

export type Filter = {
  $and?: Filter[];
  $or?: Filter[];
  [field: string]: FilterScalar | FilterOperators | Filter[] | undefined;
};

export const FilterSchema: z.ZodType<Filter> = z.lazy(() =>
  z.record(z.string(), z.union([FilterScalar, FilterOperators, z.array(FilterSchema)])),
);
