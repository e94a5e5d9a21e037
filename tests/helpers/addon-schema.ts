/**
 * The Home Assistant Supervisor's option schema language, ported for tests, and a reader of the
 * loader's zod schema, so config.yaml and addon/config/schema.ts can be compared key by key.
 *
 * RE_SCHEMA_ELEMENT and the value rules follow supervisor/addons/options.py (AddonOptions
 * _single_validate): str/password take an optional (min,max) length, int/float a range, port is
 * 1-65535, match(REGEX) a full-match regex, list(a|b|c) one of the values, `?` marks optional.
 */
import type { z } from 'zod';

export const HA_SCHEMA_ELEMENT =
  /^(?:|bool|email|url|port|device(?:\((?<filter>subsystem=[a-z]+)\))?|str(?:\((?<s_min>\d+)?,(?<s_max>\d+)?\))?|password(?:\((?<p_min>\d+)?,(?<p_max>\d+)?\))?|int(?:\((?<i_min>\d+)?,(?<i_max>\d+)?\))?|float(?:\((?<f_min>[\d.]+)?,(?<f_max>[\d.]+)?\))?|match\((?<match>.*)\)|list\((?<list>.+)\))\??$/;

export type HaSchemaNode = string | HaSchemaNode[] | { [key: string]: HaSchemaNode };

/** Problems with a schema node's form (the Supervisor's SCHEMA_ELEMENT); [] when valid. */
export function schemaNodeProblems(node: unknown, where: string, nested = false): string[] {
  if (typeof node === 'string') return HA_SCHEMA_ELEMENT.test(node) && node !== '' ? [] : [`${where}: "${node}" is not an add-on schema type`];
  if (Array.isArray(node)) {
    if (nested) return [`${where}: a list may not directly contain another list`];
    if (node.length !== 1) return [`${where}: a list schema has exactly one element type`];
    return schemaNodeProblems(node[0], `${where}[]`, true);
  }
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([k, v]) => schemaNodeProblems(v, `${where}.${k}`));
  return [`${where}: ${JSON.stringify(node)} is not an add-on schema type`];
}

/** Validates one value against a scalar type like the Supervisor does; returns a problem or null. */
export function haValueProblem(type: string, value: unknown): string | null {
  const m = HA_SCHEMA_ELEMENT.exec(type);
  if (!m) return `unknown type ${type}`;
  if (value === null || value === undefined) return 'missing required value';
  const g = m.groups ?? {};
  const base = type.replace(/\?$/, '');
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  const inRange = (n: number, min?: number, max?: number): boolean => (min === undefined || n >= min) && (max === undefined || n <= max);
  if (base.startsWith('str') || base.startsWith('password')) {
    if (typeof value === 'object') return 'must be a string';
    const len = String(value).length;
    const min = num(g.s_min ?? g.p_min);
    const max = num(g.s_max ?? g.p_max);
    return inRange(len, min, max) ? null : `length ${len} outside (${min ?? ''},${max ?? ''})`;
  }
  if (base.startsWith('int')) {
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(n)) return `${JSON.stringify(value)} is not an integer`;
    return inRange(n, num(g.i_min), num(g.i_max)) ? null : `${n} outside ${base}`;
  }
  if (base.startsWith('float')) {
    const n = Number(value);
    if (Number.isNaN(n)) return `${JSON.stringify(value)} is not a number`;
    return inRange(n, num(g.f_min), num(g.f_max)) ? null : `${n} outside ${base}`;
  }
  if (base === 'bool') return typeof value === 'boolean' ? null : `${JSON.stringify(value)} is not a boolean`;
  if (base === 'port') return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535 ? null : `${JSON.stringify(value)} is not a port`;
  if (base === 'email') return /^[^@\s]+@[^@\s]+$/.test(String(value)) ? null : 'not an email address';
  if (base === 'url') {
    try {
      const u = new URL(String(value));
      return u.protocol && u.host ? null : 'not a URL';
    } catch {
      return 'not a URL';
    }
  }
  if (base.startsWith('match(')) return new RegExp(`^(?:${g.match})`).test(String(value)) ? null : `${JSON.stringify(value)} does not match ${g.match}`;
  if (base.startsWith('list(')) return g.list!.split('|').includes(String(value)) ? null : `${JSON.stringify(value)} is not one of ${g.list}`;
  return null;
}

/** Validates an option value against its schema node (scalar, list or dict). */
export function haNodeProblems(node: HaSchemaNode, value: unknown, where: string): string[] {
  if (Array.isArray(node)) {
    if (!Array.isArray(value)) return [`${where}: must be a list`];
    return value.flatMap((v, i) => haNodeProblems(node[0]!, v, `${where}[${i}]`));
  }
  if (typeof node === 'object') {
    if (!value || typeof value !== 'object') return [`${where}: must be a dictionary`];
    return Object.entries(node).flatMap(([k, n]) =>
      (value as Record<string, unknown>)[k] === undefined ? (typeof n === 'string' && n.endsWith('?') ? [] : [`${where}.${k}: missing`]) : haNodeProblems(n, (value as Record<string, unknown>)[k], `${where}.${k}`),
    );
  }
  const problem = haValueProblem(node, value);
  return problem ? [`${where}: ${problem}`] : [];
}

// ----------------------------------------------------------------------------- zod side

export interface ZodDescription {
  kind: 'string' | 'int' | 'number' | 'bool' | 'enum' | 'array' | 'union' | 'unknown';
  optional: boolean;
  hasDefault: boolean;
  defaultValue?: unknown;
  min?: number;
  max?: number;
  minLength?: number;
  maxLength?: number;
  patterns: string[];
  values?: string[];
  element?: ZodDescription;
  members?: ZodDescription[];
}

interface ZodInternals {
  _zod: { def: { type: string; innerType?: ZodInternals; in?: ZodInternals; out?: ZodInternals; element?: ZodInternals; options?: ZodInternals[]; entries?: Record<string, string>; defaultValue?: unknown; checks?: { _zod: { def: Record<string, unknown> } }[] } };
}

/** What a zod schema (as the loader builds them) accepts: base type, bounds, patterns, default. */
export function describeZod(schema: z.ZodType): ZodDescription {
  const out: ZodDescription = { kind: 'unknown', optional: false, hasDefault: false, patterns: [] };
  let node = schema as unknown as ZodInternals;
  for (let depth = 0; depth < 20; depth++) {
    const def = node._zod.def;
    for (const check of def.checks ?? []) {
      const c = check._zod.def;
      if (c.check === 'greater_than') out.min = c.value as number;
      if (c.check === 'less_than') out.max = c.value as number;
      if (c.check === 'min_length') out.minLength = c.minimum as number;
      if (c.check === 'max_length') out.maxLength = c.maximum as number;
      if (c.check === 'string_format' && c.format === 'regex') out.patterns.push((c.pattern as RegExp).source);
      if (c.check === 'number_format' && (c.format === 'safeint' || c.format === 'int32')) out.kind = 'int';
    }
    switch (def.type) {
      case 'default':
        out.hasDefault = true;
        out.defaultValue = def.defaultValue;
        node = def.innerType!;
        continue;
      case 'optional':
        out.optional = true;
        node = def.innerType!;
        continue;
      case 'nullable':
        node = def.innerType!;
        continue;
      case 'pipe':
        // preprocess = pipe(transform, T): T is the type; otherwise the input side is.
        node = def.in!._zod.def.type === 'transform' ? def.out! : def.in!;
        continue;
      case 'string':
        out.kind = 'string';
        return out;
      case 'number':
        if (out.kind !== 'int') out.kind = 'number';
        return out;
      case 'boolean':
        out.kind = 'bool';
        return out;
      case 'enum':
        out.kind = 'enum';
        out.values = Object.values(def.entries ?? {});
        return out;
      case 'array':
        out.kind = 'array';
        out.element = describeZod(def.element! as unknown as z.ZodType);
        return out;
      case 'union':
        out.kind = 'union';
        out.members = (def.options ?? []).map((o) => describeZod(o as unknown as z.ZodType));
        return out;
      default:
        return out;
    }
  }
  return out;
}

/** The add-on schema type that states exactly what the zod description accepts. */
export function suggestHaType(d: ZodDescription, secret: boolean): HaSchemaNode {
  const opt = d.optional && !d.hasDefault ? '?' : '';
  const range = (a?: number, b?: number): string => (a === undefined && b === undefined ? '' : `(${a ?? ''},${b ?? ''})`);
  switch (d.kind) {
    case 'bool':
      return `bool${opt}`;
    case 'int':
      return d.min === 1 && d.max === 65535 ? `port${opt}` : `int${range(d.min, d.max)}${opt}`;
    case 'number':
      return `float${range(d.min, d.max)}${opt}`;
    case 'enum':
      return `list(${d.values!.join('|')})${opt}`;
    case 'array':
      return [suggestHaType({ ...d.element!, optional: false, hasDefault: false }, secret) as string];
    case 'union':
      return `str${opt}`;
    default:
      if (secret) return `password${opt}`;
      if (d.patterns.length === 1) return `match(${d.patterns[0]})${opt}`;
      return `str${range(d.minLength, d.maxLength)}${opt}`;
  }
}

/**
 * Whether an add-on type agrees with the zod description: same base type, same ranges and
 * enum values, `?` exactly when zod has no default, password exactly for secrets. Strings may
 * be looser than zod (str for a zod pattern) since the loader re-validates them at start.
 */
export function typeProblems(key: string, d: ZodDescription, node: HaSchemaNode, secret: boolean): string[] {
  const problems: string[] = [];
  const want = suggestHaType(d, secret);
  if (d.kind === 'array') {
    if (!Array.isArray(node)) return [`${key}: config.yaml has ${JSON.stringify(node)}, the loader takes a list (schema: ${JSON.stringify(want)})`];
    return typeProblems(`${key}[]`, { ...d.element!, optional: false, hasDefault: false }, node[0]!, secret);
  }
  if (typeof node !== 'string') return [`${key}: config.yaml has ${JSON.stringify(node)}, the loader takes a single value (${want})`];
  const optional = node.endsWith('?');
  const wantOptional = d.optional && !d.hasDefault;
  if (optional !== wantOptional) {
    problems.push(wantOptional ? `${key}: the loader has no default, so config.yaml's type must end in ? ("${want}")` : `${key}: the loader has a default, so config.yaml's type must not end in ? (and options must give the default)`);
  }
  const base = node.replace(/\?$/, '');
  const m = HA_SCHEMA_ELEMENT.exec(node)!;
  const g = m?.groups ?? {};
  const isPassword = base.startsWith('password');
  if (secret !== isPassword) problems.push(secret ? `${key}: a secret (SECRET_KEYS) must have type password in config.yaml` : `${key}: type password is for secrets; add ${key} to SECRET_KEYS or use str`);
  switch (d.kind) {
    case 'bool':
      if (base !== 'bool') problems.push(`${key}: the loader takes a boolean, config.yaml says ${node} (want ${want})`);
      break;
    case 'int': {
      if (base === 'port') {
        if (d.min !== 1 || d.max !== 65535) problems.push(`${key}: port means 1-65535, the loader allows ${d.min}-${d.max} (want ${want})`);
      } else if (base.startsWith('int')) {
        const min = g.i_min === undefined ? undefined : Number(g.i_min);
        const max = g.i_max === undefined ? undefined : Number(g.i_max);
        if (min !== d.min || max !== d.max) problems.push(`${key}: config.yaml allows ${base}, the loader int(${d.min ?? ''},${d.max ?? ''}) (want ${want})`);
      } else problems.push(`${key}: the loader takes an integer, config.yaml says ${node} (want ${want})`);
      break;
    }
    case 'number':
      if (!base.startsWith('float') && !base.startsWith('int')) problems.push(`${key}: the loader takes a number, config.yaml says ${node} (want ${want})`);
      break;
    case 'enum': {
      const listed = g.list?.split('|') ?? [];
      const values = d.values ?? [];
      if (!base.startsWith('list(') || listed.length !== values.length || listed.some((v) => !values.includes(v))) {
        problems.push(`${key}: config.yaml says ${node}, the loader accepts ${values.join('|')} (want ${want})`);
      }
      break;
    }
    case 'union':
      if (!/^(str|password|match\(|int)/.test(base)) problems.push(`${key}: config.yaml says ${node} for a value the loader takes as text or number`);
      break;
    case 'string': {
      if (base.startsWith('str') || base.startsWith('password')) {
        const min = g.s_min ?? g.p_min;
        const max = g.s_max ?? g.p_max;
        if (min !== undefined && Number(min) !== (d.minLength ?? 0)) problems.push(`${key}: config.yaml's minimum length ${min} differs from the loader's ${d.minLength ?? 0}`);
        if (max !== undefined && Number(max) !== d.maxLength) problems.push(`${key}: config.yaml's maximum length ${max} differs from the loader's ${d.maxLength ?? 'none'}`);
      } else if (base.startsWith('match(')) {
        if (!d.patterns.includes(g.match!)) problems.push(`${key}: config.yaml's ${base} is not the loader's pattern (${d.patterns.join(', ') || 'none'})`);
      } else if (base !== 'url' && base !== 'email') {
        problems.push(`${key}: the loader takes text, config.yaml says ${node} (want ${want})`);
      }
      break;
    }
    default:
      problems.push(`${key}: the loader's type could not be read (${d.kind}); extend tests/helpers/addon-schema.ts`);
  }
  return problems;
}
