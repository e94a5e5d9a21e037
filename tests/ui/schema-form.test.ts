import { describe, expect, it } from 'vitest';
import { settingsJsonSchema } from '../../addon/notify/notifier-config.js';
import { NOTIFIER_KINDS } from '../../addon/notify/registry.js';
import { collectSettings, fieldsOf, initialValues, parsePairs, type JsonSchemaObject } from '../../ui/src/lib/schema-form.js';

const schemaOf = (kind: string): JsonSchemaObject => settingsJsonSchema(NOTIFIER_KINDS.find((k) => k.kind === kind)!) as JsonSchemaObject;

describe('the panel form from a kind\'s JSON Schema', () => {
  it('turns every served schema into fields the kind accepts back', () => {
    for (const kind of NOTIFIER_KINDS) {
      const fields = fieldsOf(schemaOf(kind.kind));
      expect(fields.map((f) => f.key).sort(), kind.kind).toEqual(Object.keys(schemaOf(kind.kind).properties!).sort());
      for (const f of fields) expect(f.control, `${kind.kind}.${f.key}`).not.toBe(undefined);
    }
  });

  it('renders ntfy: required topic, a password for the token, numbers with bounds and defaults', () => {
    const fields = fieldsOf(schemaOf('ntfy'));
    const by = Object.fromEntries(fields.map((f) => [f.key, f]));
    expect(by.topic).toMatchObject({ control: 'text', required: true, label: 'Topic' });
    expect(by.token).toMatchObject({ control: 'password', secret: true, required: false });
    expect(by.priority).toMatchObject({ control: 'number', min: 1, max: 5, placeholder: '3' });
    expect(by.server_url).toMatchObject({ control: 'url', placeholder: 'https://ntfy.sh' });
    expect(initialValues(fields, null, schemaOf('ntfy'))).toMatchObject({ server_url: 'https://ntfy.sh', priority: '3', token: '', topic: '' });
  });

  it('collects what the API expects: numbers, header pairs, lists; blanks left out when adding, cleared (secrets kept) when editing', () => {
    const webhook = fieldsOf(schemaOf('webhook'));
    const values = { url: ' http://h/x ', headers: 'Authorization: Bearer a:b\n\nX-One:1', secret: '', timeout_s: 5, retries: '' };
    expect(collectSettings(webhook, values, false)).toEqual({ url: 'http://h/x', headers: { Authorization: 'Bearer a:b', 'X-One': '1' }, timeout_s: 5 });
    expect(collectSettings(webhook, { ...values, url: '' }, true)).toEqual({ headers: { Authorization: 'Bearer a:b', 'X-One': '1' }, timeout_s: 5, retries: null });
    const telegram = fieldsOf(schemaOf('telegram'));
    expect(collectSettings(telegram, { bot_token: 'x', chat_ids: '111\n-1002, @chan', api_url: '' }, false)).toEqual({ bot_token: 'x', chat_ids: ['111', '-1002', '@chan'] });
    expect(initialValues(telegram, { chat_ids: ['1', '2'], has_bot_token: true }, schemaOf('telegram'))).toMatchObject({ chat_ids: '1\n2', bot_token: '' });
    expect(parsePairs('NoColon\n A : b ')).toEqual({ NoColon: '', A: 'b' });
  });
});
