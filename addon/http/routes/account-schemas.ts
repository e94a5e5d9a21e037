/** Request schemas shared by the user and key routes. */
import { z } from 'zod';
import { ROLES } from '../../auth/model.js';

export const roleSchema = z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` });
export const strictObject = { error: (issue: { code?: string; keys?: string[] }) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys!.join(', ')}` : undefined) };
