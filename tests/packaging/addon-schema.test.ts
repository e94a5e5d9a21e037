import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeZod, haNodeProblems, haValueProblem, schemaNodeProblems, suggestHaType, typeProblems } from '../helpers/addon-schema.js';

/** The checks behind addon-config.test.ts must be able to fail: table tests of the helper. */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
const text = z.string().transform((s) => s.trim()).optional();

describe('add-on schema helper', () => {
  it.each([
    ['str', true],
    ['str(1,200)?', true],
    ['password?', true],
    ['int(0,10)', true],
    ['float(0.5,2)', true],
    ['port', true],
    ['list(a|b|c)', true],
    ['match(^[a-z]+$)', true],
    ['email?', true],
    ['string', false],
    ['int(-1,5)', false],
    ['list()', false],
    ['integer', false],
  ])('type %s is valid: %s', (type, valid) => {
    expect(schemaNodeProblems(type, 'x').length === 0).toBe(valid);
  });

  it('rejects nested lists and empty list schemas', () => {
    expect(schemaNodeProblems([['str']], 'x')).toHaveLength(1);
    expect(schemaNodeProblems([], 'x')).toHaveLength(1);
    expect(schemaNodeProblems(['str'], 'x')).toEqual([]);
  });

  it.each([
    ['int(1,50)', 3, null],
    ['int(1,50)', 0, 'outside'],
    ['port', 70000, 'not a port'],
    ['list(mp4|mkv)', 'avi', 'not one of'],
    ['match(^(best|worst|\\d{3,4}p)$)', '720p', null],
    ['match(^(best|worst|\\d{3,4}p)$)', 'good', 'does not match'],
    ['bool', 'yes', 'not a boolean'],
    ['str(2,3)', 'abcd', 'length'],
  ])('%s with %j', (type, value, problem) => {
    const got = haValueProblem(type, value);
    if (problem === null) expect(got).toBeNull();
    else expect(got).toMatch(problem);
  });

  it('validates list options element by element', () => {
    expect(haNodeProblems(['match(^a$)'], ['a', 'b'], 'k')).toEqual(['k[1]: "b" does not match ^a$']);
    expect(haNodeProblems(['str'], 'a', 'k')).toEqual(['k: must be a list']);
  });

  it('reads zod schemas as the loader builds them and suggests the matching type', () => {
    expect(suggestHaType(describeZod(int(1, 50).default(3)), false)).toBe('int(1,50)');
    expect(suggestHaType(describeZod(int(1, 65535).optional()), false)).toBe('port?');
    expect(suggestHaType(describeZod(z.enum(['mp4', 'mkv']).default('mp4')), false)).toBe('list(mp4|mkv)');
    expect(suggestHaType(describeZod(bool.default(true)), false)).toBe('bool');
    expect(suggestHaType(describeZod(text), true)).toBe('password?');
    expect(suggestHaType(describeZod(text), false)).toBe('str?');
    expect(suggestHaType(describeZod(z.string().regex(/^x+$/).default('x')), false)).toBe('match(^x+$)');
    expect(suggestHaType(describeZod(z.preprocess((v) => v, z.array(z.string())).default([])), false)).toEqual(['str']);
  });

  it('finds every kind of disagreement', () => {
    const d = describeZod(int(1, 50).default(3));
    expect(typeProblems('n', d, 'int(1,50)', false)).toEqual([]);
    expect(typeProblems('n', d, 'int(1,60)', false)[0]).toMatch(/int\(1,50\)/);
    expect(typeProblems('n', d, 'int(1,50)?', false)[0]).toMatch(/must not end in \?/);
    expect(typeProblems('n', d, 'str', false)[0]).toMatch(/integer/);
    const secret = describeZod(text);
    expect(typeProblems('k', secret, 'str?', true)[0]).toMatch(/password/);
    expect(typeProblems('k', secret, 'password', true)[0]).toMatch(/must end in \?/);
    expect(typeProblems('k', describeZod(text), 'password?', false)[0]).toMatch(/SECRET_KEYS/);
    const e = describeZod(z.enum(['a', 'b']).default('a'));
    expect(typeProblems('e', e, 'list(a|b|c)', false)[0]).toMatch(/accepts a\|b/);
    expect(typeProblems('b', describeZod(bool.default(false)), 'int', false)[0]).toMatch(/boolean/);
    const l = describeZod(z.preprocess((v) => v, z.array(z.string().regex(/^o$/))).default([]));
    expect(typeProblems('l', l, ['match(^o$)'], false)).toEqual([]);
    expect(typeProblems('l', l, 'str', false)[0]).toMatch(/list/);
    expect(typeProblems('l', l, ['match(^p$)'], false)[0]).toMatch(/pattern/);
  });
});
