/**
 * Turning a kind's JSON Schema (served by the API, from the kind's zod schema) into form fields
 * and the form's text back into settings. Pure; SchemaForm.svelte renders what `fieldsOf` says.
 */

export interface JsonSchemaProperty {
  type?: string | string[];
  title?: string;
  description?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
  writeOnly?: boolean;
  additionalProperties?: JsonSchemaProperty | boolean;
}

export interface JsonSchemaObject {
  type?: string;
  properties?: Record<string, JsonSchemaProperty>;
  required?: string[];
}

export type FieldControl = 'text' | 'url' | 'password' | 'number' | 'checkbox' | 'select' | 'pairs' | 'list';

export interface FormField {
  key: string;
  label: string;
  hint: string | null;
  control: FieldControl;
  required: boolean;
  secret: boolean;
  options: string[];
  min: number | null;
  max: number | null;
  pattern: string | null;
  placeholder: string;
}

const typeOf = (p: JsonSchemaProperty): string => (Array.isArray(p.type) ? (p.type.find((t) => t !== 'null') ?? 'string') : (p.type ?? 'string'));

/** One form field per property, in the schema's order. */
export function fieldsOf(schema: JsonSchemaObject): FormField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([key, p]) => {
    const type = typeOf(p);
    const control: FieldControl =
      p.enum && p.enum.length > 0
        ? 'select'
        : type === 'boolean'
          ? 'checkbox'
          : type === 'integer' || type === 'number'
            ? 'number'
            : type === 'object'
              ? 'pairs'
              : type === 'array'
                ? 'list'
              : p.writeOnly
                ? 'password'
                : p.format === 'uri'
                  ? 'url'
                  : 'text';
    return {
      key,
      label: p.title ?? key,
      hint: p.description ?? null,
      control,
      required: required.has(key),
      secret: p.writeOnly === true,
      options: (p.enum ?? []).map(String),
      min: p.minimum ?? null,
      max: p.maximum ?? null,
      pattern: p.pattern ?? null,
      placeholder: p.default !== undefined && typeof p.default !== 'object' ? String(p.default) : control === 'pairs' ? 'Header-Name: value' : control === 'list' ? 'one per line' : '',
    };
  });
}

/** What the form's inputs hold: text for everything but checkboxes. */
export type FormValues = Record<string, string | number | boolean | null | undefined>;

/** Starting values: a stored record's settings (secrets are never sent back, so they start empty), else the defaults. */
export function initialValues(fields: FormField[], settings: Record<string, unknown> | null, schema: JsonSchemaObject): FormValues {
  const out: FormValues = {};
  for (const f of fields) {
    const value = settings ? settings[f.key] : schema.properties?.[f.key]?.default;
    if (f.control === 'checkbox') out[f.key] = value === true;
    else if (f.control === 'list') out[f.key] = Array.isArray(value) ? value.map(String).join('\n') : '';
    else if (f.control === 'pairs') out[f.key] = value && typeof value === 'object' ? Object.entries(value as Record<string, string>).map(([k, v]) => `${k}: ${v}`).join('\n') : '';
    else out[f.key] = value === undefined || value === null || f.secret ? '' : String(value);
  }
  return out;
}

/**
 * The settings to send. Creating: empty fields are left out (the server applies defaults).
 * Editing: an empty secret is left out (the stored one stays), another empty field is sent as
 * null (cleared).
 */
export function collectSettings(fields: FormField[], values: FormValues, editing: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = values[f.key];
    if (f.control === 'checkbox') {
      out[f.key] = raw === true;
      continue;
    }
    // A number input's binding holds a number (or null when empty).
    const text = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
    if (text === '') {
      if (editing && !f.secret) out[f.key] = null;
      continue;
    }
    if (f.control === 'number') out[f.key] = Number(text);
    else if (f.control === 'pairs') out[f.key] = parsePairs(text);
    else if (f.control === 'list') out[f.key] = text.split(/[\n,]+/).map((x) => x.trim()).filter(Boolean);
    else out[f.key] = text;
  }
  return out;
}

/** "Name: value" lines -> {Name: "value"}; a line without a colon becomes a name with an empty value (the server says why that is wrong). */
export function parsePairs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const colon = trimmed.indexOf(':');
    if (colon < 0) out[trimmed] = '';
    else out[trimmed.slice(0, colon).trim()] = trimmed.slice(colon + 1).trim();
  }
  return out;
}
