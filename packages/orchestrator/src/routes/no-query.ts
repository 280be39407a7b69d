import { z } from 'zod';

/** Routes without query parameters reject unknown ones, like every other unknown field. */
export const NoQuery = z.object({}).strict();
