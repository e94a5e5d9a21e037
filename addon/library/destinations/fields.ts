/**
 * Zod builders for the settings destination kinds share (host, port, credentials, folders), so
 * every kind checks a host the same way and says the same thing about it. Pure.
 */
import { z } from 'zod';

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$|^\d{1,3}(?:\.\d{1,3}){3}$|^\[?[0-9A-Fa-f:.]+\]?$/;

/** A string; when `required` names the kind, leaving it out says "is required for <kind> destinations". */
export function text(max: number, required?: { kind: string; hint?: string }) {
  return z
    .string({ error: (issue) => (issue.input === undefined && required ? `is required for ${required.kind} destinations${required.hint ? ` (${required.hint})` : ''}` : 'must be a string') })
    .max(max, `is too long (at most ${max} characters)`);
}

const oneLine = (s: z.ZodString) => s.regex(/^[^\0\r\n]*$/, 'must be one line');

export const host = (kind: string) =>
  text(253, { kind })
    .trim()
    .min(1, `is required for ${kind} destinations`)
    .regex(HOST, 'must be a host name or an IP address')
    .meta({ title: 'Host', description: 'Host name or IP address' });

export const port = (defaultPort: string) =>
  z
    .number({ error: 'must be a port number' })
    .int('must be a port number')
    .min(1, 'must be 1 to 65535')
    .max(65535, 'must be 1 to 65535')
    .optional()
    .meta({ title: 'Port', description: `Default ${defaultPort}` });

export const username = (kind?: string) => {
  const base = text(256, kind ? { kind } : undefined)
    .trim()
    .regex(/^[^\r\n\0]*$/, 'must be one line');
  return (kind ? base.min(1, `is required for ${kind} destinations`) : base).meta({ title: 'User name' });
};

/** A write-only secret. A request may send null to clear it; what reaches the kind is a non-empty string or nothing. */
export const secret = (max: number, title: string) =>
  z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty (send null to clear it)')
    .max(max, 'is too long')
    .meta({ title, writeOnly: true });

export const privateKey = () =>
  secret(64 * 1024, 'Private key')
    .refine((k) => /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(k), 'must be a PEM or OpenSSH private key (-----BEGIN ... PRIVATE KEY-----)')
    .meta({ title: 'Private key', description: 'PEM or OpenSSH private key text', writeOnly: true });

export const hostKeyFingerprint = () =>
  text(100)
    .trim()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'must look like SHA256:... as ssh-keygen -lf prints it')
    .optional()
    .meta({ title: 'Host key fingerprint', description: 'Pins the server key (SHA256:..., as ssh-keygen -lf prints it); the test reports the one seen' });

/** A folder on a remote side: one line, never `..`. */
export const remoteFolder = (title: string, description: string) =>
  oneLine(text(1024).trim())
    .refine((p) => !/(^|\/)\.\.(\/|$)/.test(p), 'must not contain ..')
    .default('')
    .meta({ title, description });

export { oneLine };
